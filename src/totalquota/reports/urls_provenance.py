"""URLs of the provenance picture (included in ``reports.urls``)."""

from django.urls import path

from totalquota.reports.views import provenance as views

urlpatterns = [
    path("provenance/", views.provenance, name="provenance"),
    path("provenance/band/", views.provenance_band, name="provenance_band"),
]
