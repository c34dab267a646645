from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "totalquota.registry"
    label = "registry"
    verbose_name = "基础信息"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registrations)
