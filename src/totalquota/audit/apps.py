from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "totalquota.audit"
    label = "audit"
    verbose_name = "审计"
