from django.urls import path

from totalquota.reserve import views

app_name = "reserve"

urlpatterns = [
    path("applications/", views.ApplicationListView.as_view(), name="application_list"),
    path("applications/new/", views.application_create, name="application_create"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/operating/", views.application_operating, name="application_operating"),
    path("applications/<int:pk>/annex.<str:fmt>", views.annex_download, name="annex"),
    path("applications/<int:pk>/<str:action>/", views.application_action, name="application_action"),
    path("lines/<int:pk>/plan/", views.line_plan, name="line_plan"),
    path("lines/<int:pk>/recover/", views.line_recover, name="line_recover"),
    path("intake/", views.IntakeListView.as_view(), name="intake_list"),
    path("intake/new/", views.intake_create, name="intake_create"),
    path("intake/<int:pk>/", views.intake_detail, name="intake_detail"),
    path("intake/<int:pk>/confirm/", views.intake_confirm, name="intake_confirm"),
    path("intake/items/<int:pk>/exclude/", views.intake_item_exclude, name="intake_exclude"),
    path("upper/", views.UpperListView.as_view(), name="upper_list"),
    path("upper/new/", views.upper_create, name="upper_create"),
    path("upper/<int:pk>/decide/", views.upper_decide, name="upper_decide"),
    path("recovery/", views.recovery_candidates, name="recovery"),
    path("verified/", views.VerifiedListView.as_view(), name="verified_list"),
    path("verified/new/", views.verified_create, name="verified_create"),
    path("attainment/", views.AttainmentListView.as_view(), name="attainment_list"),
    path("attainment/new/", views.attainment_create, name="attainment_create"),
    path("warnings/", views.warnings, name="warnings"),
]
