from django.apps import AppConfig


class ReserveConfig(AppConfig):
    name = "totalquota.reserve"
    label = "reserve"
    verbose_name = "储备库"

    def ready(self) -> None:
        from totalquota.reductions.selectors import register_reserve_use

        from . import permissions, rules  # noqa: F401  (registrations)
        from .selectors import allocated_from_reductions

        register_reserve_use(allocated_from_reductions)

        from totalquota.documents import renderers
        from totalquota.documents.models import DocumentKind

        from .annex import render_annex

        renderers.register(DocumentKind.ANNEX_1, render_annex)

        # The unit's record in the emission total library shows its whole-plant quota.
        from totalquota.emissions.selectors_determinations import register_plant_quota

        from .selectors import plant_quota_of

        register_plant_quota(plant_quota_of)
