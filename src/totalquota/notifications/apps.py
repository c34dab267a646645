from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "totalquota.notifications"
    label = "notifications"
    verbose_name = "站内信"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registrations)
        from .handlers import register_handlers

        register_handlers()
