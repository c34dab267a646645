from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "totalquota.api"
    label = "api"
    verbose_name = "接口"
