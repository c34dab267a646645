"""储备库 URLs: applications, their documents and decisions, lines, intake, upper level, data and warnings."""

from django.urls import path

from totalquota.reserve.views import (
    adjustments,
    applications,
    data,
    documents,
    intake,
    merged,
    upper,
    warnings,
)
from totalquota.reserve.workflow import ADJUSTMENT_ACTIONS, INTAKE_ACTIONS, RECOVERY_ACTIONS
from totalquota.web.actions import action_urls

app_name = "reserve"

urlpatterns = [
    path("units/<int:enterprise_id>/merged/", merged.merged_records, name="merged_records"),
    path("applications/", applications.ApplicationListView.as_view(), name="application_list"),
    path("applications/new/", applications.application_create, name="application_create"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", applications.application_edit, name="application_edit"),
    path(
        "applications/<int:pk>/operating/",
        applications.application_operating,
        name="application_operating",
    ),
    path("applications/<int:pk>/annex.<str:fmt>", applications.annex_download, name="annex"),
    path("applications/<int:pk>/documents/new/", documents.document_upload, name="document_upload"),
    path("documents/<int:pk>/", documents.document_download, name="document_download"),
    path("documents/<int:pk>/delete/", documents.document_delete, name="document_delete"),
    # The workflow actions (reserve.workflow.APPLICATION_ACTIONS), one path for all as before.
    path(
        "applications/<int:pk>/<str:action>/",
        applications.application_action,
        name="application_action",
    ),
    path("lines/<int:pk>/plan/", applications.line_plan, name="line_plan"),
    path("lines/<int:pk>/recover/", applications.line_recover, name="line_recover"),
    path("intake/", intake.IntakeListView.as_view(), name="intake_list"),
    path("intake/new/", intake.intake_create, name="intake_create"),
    path("intake/<int:pk>/", intake.intake_detail, name="intake_detail"),
    # reserve:intake_confirm, reserve:intake_cancel (reserve.workflow.INTAKE_ACTIONS).
    *action_urls(INTAKE_ACTIONS, "intake/<int:pk>/", intake.intake_action, "intake"),
    path("intake/items/<int:pk>/exclude/", intake.intake_item_exclude, name="intake_exclude"),
    path("adjustments/", adjustments.AdjustmentListView.as_view(), name="adjustment_list"),
    path("adjustments/zone-transfer/", adjustments.zone_transfer, name="adjustment_zone_transfer"),
    path("adjustments/correct/<int:pk>/", adjustments.correction, name="adjustment_correct"),
    path("adjustments/<int:pk>/", adjustments.adjustment_detail, name="adjustment_detail"),
    # reserve:adjustment_confirm | _reject | _withdraw (reserve.workflow.ADJUSTMENT_ACTIONS).
    *action_urls(ADJUSTMENT_ACTIONS, "adjustments/<int:pk>/", adjustments.adjustment_action, "adjustment"),
    path("upper/", upper.UpperListView.as_view(), name="upper_list"),
    path("upper/new/", upper.upper_create, name="upper_create"),
    path("upper/<int:pk>/decide/", upper.upper_decide, name="upper_decide"),
    path("recovery/", data.recovery_candidates, name="recovery"),
    path("recovery/<int:pk>/", data.recovery_detail, name="recovery_detail"),
    # reserve:recovery_notify | _answer | _approve | _reject (reserve.workflow.RECOVERY_ACTIONS).
    *action_urls(RECOVERY_ACTIONS, "recovery/<int:pk>/", data.recovery_action, "recovery"),
    path("verified/", data.VerifiedListView.as_view(), name="verified_list"),
    path("verified/new/", data.verified_create, name="verified_create"),
    path("attainment/", data.AttainmentListView.as_view(), name="attainment_list"),
    path("attainment/new/", data.attainment_create, name="attainment_create"),
    path("warnings/", warnings.warnings, name="warnings"),
]
