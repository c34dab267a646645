from django.apps import AppConfig


class ReserveConfig(AppConfig):
    name = "totalquota.reserve"
    label = "reserve"
    verbose_name = "储备库"

    def ready(self) -> None:
        from . import home, navigation, permissions, rules  # noqa: F401  (registrations)
