from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ReportsConfig(AppConfig):
    name = "totalquota.reports"
    label = "reports"
    verbose_name = "报表与通报"

    def ready(self) -> None:
        from totalquota.documents import renderers
        from totalquota.documents.models import DocumentKind
        from totalquota.jobs import kinds

        from . import permissions, permissions_dashboard, permissions_provenance  # noqa: F401  (registrations)
        from .bulletins_render import render_bulletin
        from .bulletins_services import JOB_KIND, run_bulletin_job

        renderers.register(DocumentKind.BULLETIN, render_bulletin)
        # Bulletins are computed in the background: the page shows the job's progress bar.
        kinds.register(
            JOB_KIND, gettext_lazy("生成通报"), run=run_bulletin_job, permission="reports.issue_bulletin"
        )
