from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "totalquota.inbound"
    label = "inbound"
    verbose_name = "外部系统事件"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registrations)
