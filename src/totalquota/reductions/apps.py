from django.apps import AppConfig


class ReductionsConfig(AppConfig):
    name = "totalquota.reductions"
    label = "reductions"
    verbose_name = "减排库"
