from django.apps import AppConfig


class EmissionsConfig(AppConfig):
    name = "totalquota.emissions"
    label = "emissions"
    verbose_name = "总量库"

    def ready(self) -> None:
        from . import permissions, rules  # noqa: F401  (registrations)
