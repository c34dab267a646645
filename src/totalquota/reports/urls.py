from totalquota.reports.urls_provenance import urlpatterns as provenance_urls

app_name = "reports"

urlpatterns: list = [*provenance_urls]
