"""The dashboards' URLs (included by ``reports/urls.py``, names in the ``reports`` namespace)."""

from django.urls import path

from . import views_dashboard as views

urlpatterns = [
    path("dashboards/", views.dashboard_home, name="dashboard"),
    path("dashboards/park/", views.park, name="dashboard_park"),
    path("dashboards/zone/", views.own_zone, name="dashboard_own_zone"),
    path("dashboards/zone/<int:zone_id>/", views.zone, name="dashboard_zone"),
    path("dashboards/overview/", views.leader, name="dashboard_leader"),
    path("dashboards/unit/", views.unit, name="dashboard_unit"),
]
