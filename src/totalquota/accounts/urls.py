from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from totalquota.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("delegation/", views.delegation, name="delegation"),
    path("delegation/clear/", views.delegation_clear, name="delegation_clear"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/password/", views.user_set_password, name="user_set_password"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/unlock/", views.unlock, name="unlock"),
    path("units/", views.UnitAccountListView.as_view(), name="unit_account_list"),
    path("units/new/", views.PendingUnitListView.as_view(), name="unit_pending"),
    path("units/<int:pk>/reset/", views.unit_password_reset, name="unit_password_reset"),
    re_path(
        r"^units/passwords/(?P<fmt>pdf|xlsx)/$",
        views.one_time_passwords_download,
        name="one_time_passwords_download",
    ),
    path("tokens/", views.TokenListView.as_view(), name="token_list"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
