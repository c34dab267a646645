from django.urls import path

from totalquota.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.AuditListView.as_view(), name="event_list"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
]
