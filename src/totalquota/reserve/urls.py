"""储备库 URLs: applications, their documents and decisions, lines, intake, upper level, data and warnings."""

from django.urls import path

from totalquota.reserve.views import applications, data, documents, intake, upper, warnings

app_name = "reserve"

urlpatterns = [
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
    path("intake/<int:pk>/confirm/", intake.intake_confirm, name="intake_confirm"),
    path("intake/items/<int:pk>/exclude/", intake.intake_item_exclude, name="intake_exclude"),
    path("upper/", upper.UpperListView.as_view(), name="upper_list"),
    path("upper/new/", upper.upper_create, name="upper_create"),
    path("upper/<int:pk>/decide/", upper.upper_decide, name="upper_decide"),
    path("recovery/", data.recovery_candidates, name="recovery"),
    path("verified/", data.VerifiedListView.as_view(), name="verified_list"),
    path("verified/new/", data.verified_create, name="verified_create"),
    path("attainment/", data.AttainmentListView.as_view(), name="attainment_list"),
    path("attainment/new/", data.attainment_create, name="attainment_create"),
    path("warnings/", warnings.warnings, name="warnings"),
]
