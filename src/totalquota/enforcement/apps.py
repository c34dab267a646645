from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    name = "totalquota.enforcement"
    label = "enforcement"
    verbose_name = "监督执法与信用"

    def ready(self) -> None:
        from . import permissions, rules  # noqa: F401  (registrations)
