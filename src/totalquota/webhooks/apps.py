from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "totalquota.webhooks"
    label = "webhooks"
    verbose_name = _("外发事件订阅")

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registrations)
        from .handlers import register_handler

        register_handler()
