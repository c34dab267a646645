from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "totalquota.history"
    label = "history"
    verbose_name = _("历史数据导入")

    def ready(self) -> None:
        from totalquota.history import permissions  # noqa: F401  (registers the actions)
