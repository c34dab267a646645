from django.urls import path

from totalquota.reductions.views import bulk, bulletin, evidence, lines, lists, projects, rounds
from totalquota.reductions.workflow import PROJECT_ACTIONS
from totalquota.web.actions import action_urls

app_name = "reductions"

urlpatterns = [
    path("", lists.ProjectListView.as_view(), name="project_list"),
    path("library/", lists.LibraryListView.as_view(), name="library"),
    path("overdue/", lists.OverdueListView.as_view(), name="overdue"),
    path("new/", projects.project_create, name="project_create"),
    path("suggest/", projects.project_suggest, name="project_suggest"),
    path("import/", bulk.project_import, name="import"),
    path("import/template.xlsx", bulk.import_template_view, name="import_template"),
    path("bulletin/", bulletin.bulletin, name="bulletin"),
    path("rounds/", lists.RoundListView.as_view(), name="round_list"),
    path("rounds/new/", rounds.round_create, name="round_create"),
    path("rounds/next/", rounds.round_next, name="round_next"),
    path("factors/", lists.FactorListView.as_view(), name="factor_list"),
    path("factors/new/", rounds.factor_create, name="factor_create"),
    path("factors/<int:pk>/", rounds.factor_detail, name="factor_detail"),
    path("factors/<int:pk>/retire/", rounds.factor_retire, name="factor_retire"),
    path("<int:pk>/", projects.project_detail, name="project_detail"),
    path("<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("<int:pk>/lines/", lines.line_edit, name="line_edit"),
    path("<int:pk>/evidence/", evidence.evidence_upload, name="evidence_upload"),
    # One URL per workflow button (reductions:project_handover …), all run by one handler.
    *action_urls(
        PROJECT_ACTIONS, "<int:pk>/", projects.project_action, "project", only=projects.PAGE_ACTIONS
    ),
    path("<int:pk>/review/", projects.project_review, name="project_review"),
    path("<int:pk>/opinion/", projects.opinion_create, name="opinion_create"),
    path("lines/<int:pk>/delete/", lines.line_delete, name="line_delete"),
    path("lines/<int:pk>/usage/", lines.usage_create, name="usage_create"),
    path("usages/<int:pk>/cancel/", lines.usage_cancel, name="usage_cancel"),
    path("evidence/<int:pk>/", evidence.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", evidence.evidence_delete, name="evidence_delete"),
]
