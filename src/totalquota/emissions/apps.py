from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class EmissionsConfig(AppConfig):
    name = "totalquota.emissions"
    label = "emissions"
    verbose_name = "总量库"

    def ready(self) -> None:
        from totalquota.documents import renderers
        from totalquota.documents.models import DocumentKind
        from totalquota.jobs import kinds

        from . import permissions, rules  # noqa: F401  (registrations)
        from .document import render_determination
        from .services import review

        renderers.register(DocumentKind.DETERMINATION, render_determination)
        # The bureau's imports of other sources run in the background (TOT-3): the page and the API
        # start a job, the worker streams the file, checks every row and writes the batch.
        kinds.register(
            review.JOB_KIND,
            gettext_lazy("外部数据导入"),
            run=review.run_source_import,
            permission="emissions.import_sources",
            accepts=("xlsx", "csv"),
            check_input=review.source_file_check,
        )
