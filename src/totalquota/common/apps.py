from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "totalquota.common"
    label = "common"
    verbose_name = "公共"
