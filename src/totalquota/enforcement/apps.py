from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    name = "totalquota.enforcement"
    label = "enforcement"
    verbose_name = "监督执法与信用"
