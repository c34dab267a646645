from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "totalquota.jobs"
    label = "jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registrations)
