from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "totalquota.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from . import home  # noqa: F401  (registers home-page cards)
