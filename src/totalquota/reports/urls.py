from django.urls import include, path

app_name = "reports"

urlpatterns: list = [
    path("", include("totalquota.reports.urls_bulletins")),
    path("", include("totalquota.reports.urls_dashboard")),
]
