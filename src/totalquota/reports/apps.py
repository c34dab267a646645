from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "totalquota.reports"
    label = "reports"
    verbose_name = "报表与通报"

    def ready(self) -> None:
        from totalquota.reports import permissions_provenance  # noqa: F401
