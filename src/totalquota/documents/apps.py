from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "totalquota.documents"
    label = "documents"
    verbose_name = "签发文件"
