"""储备库 pages of an application's documents (申请材料, RES-2): upload while it is a draft,
download for whoever may see the application, removal of a wrong upload."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, principal_of
from totalquota.common.files import download, upload_limit_mb
from totalquota.common.middleware import multipart_post
from totalquota.lib.errors import DomainError
from totalquota.reserve import services
from totalquota.reserve.forms import DocumentForm
from totalquota.reserve.models import ApplicationDocument, QuotaApplication
from totalquota.web.forms import form_page, saved


def document_intro() -> str:
    return _(
        "接受 PDF、图片（PNG/JPEG/GIF/WebP）与 Office 文档，按文件内容校验类型；单个文件不超过 %(mb)d MB。"
    ) % {"mb": upload_limit_mb()}


@login_required
@multipart_post
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = access(
        request.user, QuotaApplication.objects.select_related("enterprise"), pk, "reserve.apply"
    )
    form = DocumentForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")}
    )
    back = application.get_absolute_url() + "#documents"
    return form_page(
        request,
        form,
        save=lambda data: services.document_add(
            actor=principal_of(request.user),
            application=application,
            kind=data["kind"],
            upload=data["file"],
            note=data["note"],
        ),
        done=lambda document: saved(request, _("已上传：%(name)s") % {"name": document.original_name}, back),
        title=_("上传申请材料：%(code)s %(name)s")
        % {"code": application.code, "name": application.project_name},
        cancel_url=back,
        submit_label=_("上传"),
        intro=document_intro(),
        invalid_status=422,
    )


def _document(request: HttpRequest, pk: int, permission: str) -> ApplicationDocument:
    return access(request.user, ApplicationDocument.objects.select_related("application"), pk, permission)


@login_required
def document_download(request: HttpRequest, pk: int):
    document = _document(request, pk, "reserve.view")
    return download(document.file, content_type=document.content_type, filename=document.original_name)


@login_required
@require_POST
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk, "reserve.apply")
    try:
        services.document_delete(actor=principal_of(request.user), document=document)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(document.application)
    return saved(
        request,
        _("已删除：%(name)s") % {"name": document.original_name},
        document.application.get_absolute_url() + "#documents",
    )
