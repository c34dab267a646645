from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "totalquota.notifications"
    label = "notifications"
    verbose_name = "站内信"
