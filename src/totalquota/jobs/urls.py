"""后台任务 URLs."""

from django.urls import path

from totalquota.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.JobListView.as_view(), name="list"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/input/", views.job_input, name="input"),
    path("<int:pk>/result/", views.job_result, name="result"),
    path("<int:pk>/rerun/", views.job_rerun, name="rerun"),
]
