from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "totalquota.ledger"
    label = "ledger"
    verbose_name = "指标台账"

    def ready(self) -> None:
        from . import permissions, rules  # noqa: F401  (registrations)
