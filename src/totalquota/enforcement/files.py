"""Evidence and answer files of a finding: checked by content and hashed (``common.files``),
kept under their digest, sent only through a view that checks access."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.common.files import Sniffed, check_upload, safe_name, storing
from totalquota.enforcement.models import Finding, FindingFile, file_path
from totalquota.lib.errors import Conflict, ValidationFailed

FILE_FIELDS = ["finding", "kind", "original_name", "size_bytes", "sha256", "content_type"]
MAX_FILES = 10


def check_files(uploads: list[Any]) -> list[tuple[Any, Sniffed]]:
    """Every upload checked (size, content) before anything is written; at most ``MAX_FILES``."""
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(
            gettext("一次最多上传 {n} 个文件").format(n=MAX_FILES), field="file", clause="SUP-4"
        )
    return [(upload, check_upload(upload, clause="SUP-4")) for upload in uploads]


def add_file(finding: Finding, kind: str, upload: Any, found: Sniffed, *, actor: Principal) -> FindingFile:
    """Keep a checked upload as a file of ``finding`` (in the caller's transaction, audited)."""
    if FindingFile.objects.filter(finding=finding, kind=kind, sha256=found.sha256).exists():
        raise Conflict(gettext("同一文件已上传"), field="file", clause="SUP-4")
    item = FindingFile(
        finding=finding,
        kind=kind,
        original_name=safe_name(getattr(upload, "name", "")),
        size_bytes=found.size,
        sha256=found.sha256,
        content_type=found.content_type,
        uploaded_by=actor.user,
    )
    with storing(item.file, upload, found, file_path(item, "")):
        item.save()
        record(actor=actor, action="enforcement.file_add", obj=item, after=snapshot(item, FILE_FIELDS))
    return item
