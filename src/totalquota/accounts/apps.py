from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "totalquota.accounts"
    label = "accounts"
    verbose_name = "用户与权限"
