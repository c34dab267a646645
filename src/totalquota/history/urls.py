from django.urls import path

from totalquota.history import views

app_name = "history"

urlpatterns = [
    path("", views.HistoryImportListView.as_view(), name="list"),
    path("template/", views.template_view, name="template"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/discard/", views.discard, name="discard"),
]
