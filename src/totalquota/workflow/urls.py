"""Pages of the workflow kernel's own records: assigning an open item to a named person."""

from django.urls import path

from totalquota.workflow import views

app_name = "workflow"

urlpatterns = [
    path("assign/<str:kind>/<int:pk>/", views.assign, name="assign"),
    path("assigned/", views.assigned, name="assigned"),
]
