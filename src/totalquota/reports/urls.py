from django.urls import include, path

app_name = "reports"

# Each area declares its own routes; their paths do not overlap.
urlpatterns: list = [
    path("", include("totalquota.reports.urls_bulletins")),
    path("", include("totalquota.reports.urls_dashboard")),
    path("", include("totalquota.reports.urls_provenance")),
]
