"""Writes of an application's documents (申请材料, RES-2): the basis and the balance plan a review
reads, checked from their bytes (``common.files``) and stored under their digest, while the
application is still a draft."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.common.files import check_upload, safe_name, storing
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.reserve.models import (
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
    QuotaApplication,
    document_path,
)
from totalquota.reserve.services.holds import check_applicant, lock_application

FIELDS = ["application", "kind", "original_name", "size_bytes", "sha256", "content_type"]


def _editable(actor: Principal, application: QuotaApplication) -> QuotaApplication:
    # Lock order step 1: the application row, so that an upload and a submit of the same
    # application are taken one after the other (the submit sees every document or none).
    application = lock_application(application)
    check_applicant(actor, application.enterprise)
    if application.status != ApplicationStatus.DRAFT:
        raise Conflict(gettext("只有草稿状态的申请可以上传或删除申请材料"), clause="RES-2")
    return application


@transaction.atomic
def document_add(
    *, actor: Principal, application: QuotaApplication, kind: str, upload: Any, note: str = ""
) -> ApplicationDocument:
    """Attach a document to a draft: type checked from the bytes, size limited, SHA-256 kept."""
    application = _editable(actor, application)
    if kind not in DocumentKind.values:
        raise ValidationFailed(
            "材料类型应为：" + "、".join(str(k.label) for k in DocumentKind), field="kind", clause="RES-2"
        )
    found = check_upload(upload, clause="RES-2")
    if application.documents.filter(sha256=found.sha256).exists():
        raise Conflict(gettext("同一文件已上传到该申请"), field="file", clause="RES-2")
    document = ApplicationDocument(
        application=application,
        kind=kind,
        original_name=safe_name(getattr(upload, "name", "")),
        size_bytes=found.size,
        sha256=found.sha256,
        content_type=found.content_type,
        note=(note or "").strip()[:200],
        uploaded_by=actor.user,
    )
    with storing(document.file, upload, found, document_path(document, "")):
        document.save()
        record(
            actor=actor,
            action="reserve.application_document_add",
            obj=document,
            after=snapshot(document, FIELDS),
        )
    return document


@transaction.atomic
def document_delete(*, actor: Principal, document: ApplicationDocument) -> None:
    """Remove a document of a draft (the audit log keeps its digest)."""
    _editable(actor, document.application)
    path = document.file.name or ""
    before = snapshot(document, FIELDS)
    object_type, pk = document._meta.label_lower, document.pk
    document.delete()
    record(
        actor=actor,
        action="reserve.application_document_delete",
        object_type=object_type,
        object_id=pk,
        object_repr=document.original_name,
        before=before,
    )

    # The stored bytes go once the deletion has committed, and only if no other record (another
    # application's document) names the same content.
    def remove() -> None:
        if not ApplicationDocument.objects.filter(file=path).exists():
            ApplicationDocument._meta.get_field("file").storage.delete(path)

    transaction.on_commit(remove)
