"""Evidence: upload, download and removal of a project's documents."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import (
    access,
    principal_of,
)
from totalquota.common.files import download, upload_limit_mb
from totalquota.common.middleware import multipart_post
from totalquota.lib.errors import DomainError
from totalquota.reductions import services
from totalquota.reductions.forms import (
    EvidenceForm,
)
from totalquota.reductions.models import (
    Evidence,
)
from totalquota.reductions.views.common import (
    _project,
    _refused,
    form_page,
)
from totalquota.web.forms import saved


@login_required
@multipart_post
def evidence_upload(request, pk: int):
    project = _project(request, pk, "reductions.prepare")
    form = EvidenceForm(request.POST or None, request.FILES or None)

    return form_page(
        request,
        form,
        save=lambda data: services.evidence_add(
            actor=principal_of(request.user),
            project=project,
            kind=data["kind"],
            upload=data["file"],
            note=data["note"],
        ),
        done=lambda evidence: saved(
            request,
            _("已上传：%(name)s") % {"name": evidence.original_name},
            project.get_absolute_url() + "#evidence",
        ),
        title=_("上传佐证材料：%(name)s") % {"name": project.name},
        cancel_url=project.get_absolute_url(),
        submit_label=_("上传"),
        intro=_(
            "接受 PDF、图片（PNG/JPEG/GIF/WebP）与 Office 文档，按文件内容校验类型；单个文件不超过 %(mb)d MB。"
        )
        % {"mb": upload_limit_mb()},
    )


@login_required
def evidence_download(request, pk: int):
    evidence = access(request.user, Evidence.objects.select_related("project"), pk, "reductions.view")
    return download(evidence.file, content_type=evidence.content_type, filename=evidence.original_name)


@login_required
@require_POST
def evidence_delete(request, pk: int):
    evidence = access(request.user, Evidence.objects.select_related("project"), pk, "reductions.prepare")
    try:
        services.evidence_delete(actor=principal_of(request.user), evidence=evidence)
    except DomainError as exc:
        return _refused(request, evidence.project, exc)
    return saved(request, _("已删除：%(name)s") % {"name": evidence.original_name}, evidence.project)
