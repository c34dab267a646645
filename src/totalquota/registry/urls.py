from django.urls import path

from totalquota.registry import views

app_name = "registry"

urlpatterns = [
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/import/", views.enterprise_import, name="enterprise_import"),
    path("enterprises/import/template.xlsx", views.enterprise_template, name="enterprise_template"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("enterprises/<int:pk>/changes/<str:kind>/", views.unit_change, name="unit_change"),
    path("zones/", views.ZoneAdminListView.as_view(), name="zone_list"),
    path("zones/new/", views.zone_create, name="zone_create"),
    path("zones/<int:pk>/edit/", views.zone_edit, name="zone_edit"),
    path("pollutants/", views.PollutantListView.as_view(), name="pollutant_list"),
    path("rules/", views.RuleListView.as_view(), name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
]

urlpatterns += [
    path("enterprises/<int:pk>/permit-limits/new/", views.permit_limit_create, name="permit_limit_create"),
    path("permit-limits/", views.PermitLimitListView.as_view(), name="permit_limit_list"),
    path("permit-limits/import/", views.permit_limit_import, name="permit_limit_import"),
    path("permit-limits/import/template.xlsx", views.permit_limit_template, name="permit_limit_template"),
    path("calendar/", views.CalendarListView.as_view(), name="calendar_list"),
    path("calendar/new/", views.calendar_create, name="calendar_create"),
    path("calendar/<int:pk>/delete/", views.calendar_delete, name="calendar_delete"),
]
