from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """流转内核: the one kernel every declare → submit → review → decide workflow runs on."""

    name = "totalquota.workflow"
    label = "workflow"
    verbose_name = "流转内核"
