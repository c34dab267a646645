from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "totalquota.web"
    label = "web"
    verbose_name = "界面"

    def ready(self) -> None:
        # Each app's home-page cards, in the order of INSTALLED_APPS (cards of equal urgency and
        # order keep it).
        from .cards import (  # noqa: F401  (registrations)
            accounts,
            emissions_listing,
            emissions_reports,
            enforcement,
            jobs,
            ledger,
            reductions,
            registry,
            reports,
            reserve,
            workflow,
        )
