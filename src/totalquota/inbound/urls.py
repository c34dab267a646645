"""外部系统事件 URLs."""

from django.urls import path

from totalquota.inbound import views

app_name = "inbound"

urlpatterns = [
    path("", views.InboundEventListView.as_view(), name="list"),
    path("<int:pk>/", views.event_detail, name="detail"),
]
