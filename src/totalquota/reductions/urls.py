from django.urls import path

from totalquota.reductions import views
from totalquota.reductions.workflow import PROJECT_ACTIONS
from totalquota.web.actions import action_urls

app_name = "reductions"

urlpatterns = [
    path("", views.ProjectListView.as_view(), name="project_list"),
    path("library/", views.LibraryListView.as_view(), name="library"),
    path("overdue/", views.OverdueListView.as_view(), name="overdue"),
    path("new/", views.project_create, name="project_create"),
    path("suggest/", views.project_suggest, name="project_suggest"),
    path("import/", views.project_import, name="import"),
    path("import/template.xlsx", views.import_template_view, name="import_template"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("rounds/", views.RoundListView.as_view(), name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("factors/", views.FactorListView.as_view(), name="factor_list"),
    path("factors/new/", views.factor_create, name="factor_create"),
    path("factors/<int:pk>/", views.factor_detail, name="factor_detail"),
    path("factors/<int:pk>/retire/", views.factor_retire, name="factor_retire"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("<int:pk>/lines/", views.line_edit, name="line_edit"),
    path("<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    *action_urls(PROJECT_ACTIONS, "<int:pk>/", views.project_action, "project", only=views.PAGE_ACTIONS),
    path("<int:pk>/review/", views.project_review, name="project_review"),
    path("<int:pk>/opinion/", views.opinion_create, name="opinion_create"),
    path("lines/<int:pk>/delete/", views.line_delete, name="line_delete"),
    path("lines/<int:pk>/usage/", views.usage_create, name="usage_create"),
    path("usages/<int:pk>/cancel/", views.usage_cancel, name="usage_cancel"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
]
