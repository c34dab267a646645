from django.apps import AppConfig


class ReserveConfig(AppConfig):
    name = "totalquota.reserve"
    label = "reserve"
    verbose_name = "储备库"
