"""Evidence: documents attached to a project, checked from their bytes and stored under their digest."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.common.files import check_upload, safe_name, storing
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.reductions.models import (
    Evidence,
    EvidenceKind,
    ReductionProject,
    evidence_path,
)
from totalquota.reductions.services.projects import (
    _reopen_if_returned,
    _touch,
    delete_part,
    editable,
)


@transaction.atomic
def evidence_add(
    *, actor: Principal, project: ReductionProject, kind: str, upload: Any, note: str = ""
) -> Evidence:
    """Attach a document to a project: type checked from the bytes, size limited, SHA-256 kept;
    the same bytes may be attached again as another kind, never twice as one kind."""
    project = editable(actor, project)
    if kind not in EvidenceKind.values:
        raise ValidationFailed("材料类型应为：" + "、".join(str(k.label) for k in EvidenceKind), field="kind")
    found = check_upload(upload, clause="RED-3")
    # One file may serve as several kinds of evidence of a project (an acceptance report that also
    # proves the investment), but once per kind.
    if project.evidence.filter(sha256=found.sha256, kind=kind).exists():
        label = EvidenceKind(kind).label
        raise Conflict(gettext("同一文件已作为“{label}”上传到该项目").format(label=label), field="file")
    note = (note or "").strip()[:200]
    evidence = Evidence(
        project=project,
        kind=kind,
        original_name=safe_name(getattr(upload, "name", "")),
        size_bytes=found.size,
        sha256=found.sha256,
        content_type=found.content_type,
        note=note,
        uploaded_by=actor.user,
    )
    # Files are stored under their digest, so the same bytes uploaded to another project are
    # already on disk and are shared rather than written again. (A caller whose enclosing
    # transaction rolls back after we return leaves a file no row names:
    # ``manage.py reductions_sweep_files`` finds and removes those.)
    with storing(evidence.file, upload, found, evidence_path(evidence, "")):
        evidence.save()
        _reopen_if_returned(project, actor)
        _touch(project, actor)
        record(
            actor=actor,
            action="reduction.evidence_add",
            obj=evidence,
            after=snapshot(
                evidence, ["project", "kind", "original_name", "size_bytes", "sha256", "content_type"]
            ),
        )
    return evidence


@transaction.atomic
def evidence_delete(*, actor: Principal, evidence: Evidence) -> None:
    """Remove a document while the project is still being prepared (the audit log keeps its digest)."""
    path = evidence.file.name or ""
    delete_part(
        actor,
        evidence,
        action="reduction.evidence_delete",
        fields=["project", "kind", "original_name", "size_bytes", "sha256", "content_type"],
        object_repr=evidence.original_name,
    )

    # Remove the stored bytes only once the deletion has committed, and only if no other record
    # (another project) points at the same content.
    def remove() -> None:
        if not Evidence.objects.filter(file=path).exists():
            evidence.file.storage.delete(path)

    transaction.on_commit(remove)


def orphan_evidence_files_delete(names: list[str]) -> list[str]:
    """Remove stored evidence files no record names (found by
    :func:`~totalquota.reductions.selectors.orphan_evidence_files`); a file that a record has come
    to name since is kept. Returns the names removed."""
    storage = Evidence._meta.get_field("file").storage
    still_named = set(Evidence.objects.filter(file__in=names).values_list("file", flat=True))
    removed = [name for name in names if name not in still_named]
    for name in removed:
        storage.delete(name)
    return removed
