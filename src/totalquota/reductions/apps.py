from django.apps import AppConfig


class ReductionsConfig(AppConfig):
    name = "totalquota.reductions"
    label = "reductions"
    verbose_name = "减排库"

    def ready(self) -> None:
        from . import permissions, rules  # noqa: F401  (registers actions and rule keys)
