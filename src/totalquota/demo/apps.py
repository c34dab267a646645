from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo park: data and commands for trying the platform, never imported by the other apps."""

    name = "totalquota.demo"
    label = "demo"
    verbose_name = "演示数据"
