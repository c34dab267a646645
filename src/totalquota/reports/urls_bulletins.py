"""通报 URLs, under /supervision/ (included from ``reports.urls``)."""

from django.urls import path

from totalquota.reports.views import bulletins as views

urlpatterns = [
    path("bulletins/", views.BulletinListView.as_view(), name="bulletin_list"),
    path("bulletins/new/", views.bulletin_issue, name="bulletin_issue"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/file.<str:fmt>", views.bulletin_file, name="bulletin_file"),
    path("bulletins/<int:pk>/check/", views.bulletin_check, name="bulletin_check"),
    path("bulletins/<int:pk>/reissue/", views.bulletin_reissue, name="bulletin_reissue"),
    path("bulletins/<int:pk>/revoke/", views.bulletin_revoke, name="bulletin_revoke"),
    path("documents/<int:pk>/publish/", views.document_publish, name="document_publish"),
    # What the bureau published: no login.
    path("public/", views.public, name="public"),
]
