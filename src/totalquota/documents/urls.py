from django.urls import path

from totalquota.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("<str:code>/", views.verify_code, name="verify_code"),
    path("<str:code>/file.<str:fmt>", views.verify_download, name="verify_download"),
]
