from django.urls import path

from totalquota.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("transfers/", views.TransferListView.as_view(), name="transfer_list"),
    path("postings/<int:pk>/", views.posting_detail, name="posting_detail"),
    path("reconcile/", views.ReconcileRunListView.as_view(), name="reconcile_list"),
    path("reconcile/run/", views.reconcile_run, name="reconcile_run"),
    path("reconcile/<int:pk>/", views.reconcile_detail, name="reconcile_detail"),
]
