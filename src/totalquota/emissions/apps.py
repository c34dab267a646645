from django.apps import AppConfig


class EmissionsConfig(AppConfig):
    name = "totalquota.emissions"
    label = "emissions"
    verbose_name = "总量库"

    def ready(self) -> None:
        from totalquota.documents import renderers
        from totalquota.documents.models import DocumentKind

        from . import permissions, rules  # noqa: F401  (registrations)
        from .document import render_determination

        renderers.register(DocumentKind.DETERMINATION, render_determination)
