"""Writes of issued documents: issue, supersede, revoke, and the one-time storing of the files.

Why the files are drawn on first download, not in the issuing transaction: the issue is part of a
decision (an approval, a recovery) that holds the workflow row, zone rows and balance rows;
drawing a PDF with WeasyPrint takes about a second, and holding those locks for it would queue
every other decision of the zone behind it. An outbox handler after commit would need the worker
running before anyone could download, and would still have to cope with a download that comes
first. So the issuing transaction writes the document row (number, 文号, version, the figures it
states, the verification code) and :func:`document_files` draws the files from those figures the
first time either file is asked for, outside any transaction, then stores both in a short one
that locks only the document row: if another request stored them meanwhile, its files win and
these are dropped, so the stored files never change once stored, and the digests are of the bytes
stored. Every later download, the verify page's included, sends the stored bytes.

Lock order (``ledger.services``): a document row is locked after the workflow row of its subject
and before the counters of :func:`totalquota.common.codes.document_number`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.common.codes import document_code, document_number, reserve_id
from totalquota.documents import renderers
from totalquota.documents.models import CODE_PREFIX, DocumentKind, DocumentState, IssuedDocument
from totalquota.documents.selectors import documents_of
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, ValidationFailed

AUDIT_FIELDS = [
    "kind",
    "year",
    "number",
    "code",
    "version",
    "subject_type",
    "subject_id",
    "issued_on",
    "state",
]


def new_verification_code() -> str:
    """192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _issue(
    *,
    actor: Principal | None,
    kind: str,
    subject: models.Model,
    issued_on: dt.date,
    figures: dict[str, Any],
    holder: str,
    subject_label: str,
    issuer: Any,
    pk: int | None = None,
) -> IssuedDocument:
    kind = DocumentKind(kind)
    if not (holder or "").strip() or not (subject_label or "").strip():
        raise ValidationFailed(gettext("签发文件须写明排污单位和事项"))
    if issuer is None:
        raise ValidationFailed(gettext("签发文件须有签发人"))
    dates.ISSUE_DAY.check(issued_on, label="签发日期", field="issued_on")
    subject_type = ContentType.objects.get_for_model(subject)
    version = (documents_of(subject, kind).aggregate(v=Max("version"))["v"] or 0) + 1
    # Lock order step 4: the (kind, year) counter, held to the end of the caller's transaction.
    number = document_number(kind, issued_on.year)
    return IssuedDocument.objects.create(
        id=pk,
        kind=kind,
        year=issued_on.year,
        number=number,
        code=document_code(CODE_PREFIX[kind], issued_on.year, number),
        version=version,
        subject_type=subject_type,
        subject_id=subject.pk,
        holder=holder.strip(),
        subject_label=subject_label.strip(),
        issued_by=issuer,
        issued_on=issued_on,
        figures=figures,
        verification_code=new_verification_code(),
    )


@transaction.atomic
def document_issue(
    *,
    actor: Principal | None,
    kind: str,
    subject: models.Model,
    issued_on: dt.date,
    figures: dict[str, Any],
    holder: str,
    subject_label: str,
    issuer: Any = None,
) -> IssuedDocument:
    """Issue the first (or, after a revocation, the next) document of ``kind`` for ``subject``.

    The caller holds ``subject``'s row lock (lock order step 1). ``issuer`` is the person who
    decided (default: the actor); ``actor`` is ``None`` when the platform issues a document for a
    decision taken before documents were recorded."""
    if documents_of(subject, kind).filter(state=DocumentState.VALID).exists():
        raise Conflict(gettext("该事项已有有效的签发文件；内容变化时应出具新版本"), clause="ANNEX-1")
    document = _issue(
        actor=actor,
        kind=kind,
        subject=subject,
        issued_on=issued_on,
        figures=figures,
        holder=holder,
        subject_label=subject_label,
        issuer=issuer if issuer is not None else (actor.user if actor else None),
    )
    record(actor=actor, action="documents.issue", obj=document, after=snapshot(document, AUDIT_FIELDS))
    return document


def _lock(document: IssuedDocument) -> IssuedDocument:
    # Lock order: after the subject's workflow row (the caller's), before the counters.
    return IssuedDocument.objects.select_for_update().get(pk=document.pk)


@transaction.atomic
def document_supersede(
    *,
    actor: Principal,
    document: IssuedDocument,
    issued_on: dt.date,
    figures: dict[str, Any],
    holder: str | None = None,
    subject_label: str | None = None,
) -> IssuedDocument:
    """Issue the next version of ``document`` stating ``figures`` (a new number, version + 1) and
    mark ``document`` superseded by it, in the caller's transaction (the change that makes the
    old figures untrue)."""
    old = _lock(document)
    if old.state != DocumentState.VALID:
        raise Conflict(
            gettext("{code}已{state}，不能再被替代").format(code=old.code, state=old.get_state_display())
        )
    # One valid document per subject (a unique index): the old one stops being valid before its
    # successor is written, and names it by the id the successor is then inserted with (foreign
    # keys are checked at commit).
    new_pk = reserve_id(IssuedDocument)
    IssuedDocument.objects.filter(pk=old.pk).update(state=DocumentState.SUPERSEDED, superseded_by_id=new_pk)
    new = _issue(
        actor=actor,
        kind=old.kind,
        subject=old.subject,  # type: ignore[arg-type]
        issued_on=issued_on,
        figures=figures,
        holder=holder or old.holder,
        subject_label=subject_label or old.subject_label,
        issuer=actor.user,
        pk=new_pk,
    )
    old.state, old.superseded_by = DocumentState.SUPERSEDED, new
    record(
        actor=actor,
        action="documents.supersede",
        obj=old,
        before={"state": DocumentState.VALID},
        after={
            "state": DocumentState.SUPERSEDED,
            "superseded_by": new.pk,
            "new": snapshot(new, AUDIT_FIELDS),
        },
    )
    return new


@transaction.atomic
def document_revoke(*, actor: Principal, document: IssuedDocument, reason: str) -> IssuedDocument:
    """Revoke a valid document with the reason (the verify page shows it)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(gettext("撤销签发文件须说明理由"), field="reason")
    doc = _lock(document)
    if doc.state != DocumentState.VALID:
        raise Conflict(
            gettext("{code}已{state}，不能撤销").format(code=doc.code, state=doc.get_state_display())
        )
    doc.state = DocumentState.REVOKED
    doc.revoked_reason, doc.revoked_by, doc.revoked_at = reason, actor.user, timezone.now()
    doc.save(update_fields=["state", "revoked_reason", "revoked_by", "revoked_at"])
    record(
        actor=actor,
        action="documents.revoke",
        obj=doc,
        before={"state": DocumentState.VALID},
        after={"state": doc.state, "reason": reason},
    )
    return doc


@transaction.atomic
def document_publish(*, actor: Principal, document: IssuedDocument) -> IssuedDocument:
    """Publish ``document`` on the public page (公开): once, and only while it is valid. The caller
    checks that ``actor`` may publish (the bureau)."""
    doc = _lock(document)
    if doc.published_at is not None:
        raise Conflict(gettext("{code}已公开").format(code=doc.code))
    if doc.state != DocumentState.VALID:
        raise Conflict(
            gettext("{code}已{state}，不能公开").format(code=doc.code, state=doc.get_state_display())
        )
    doc.published_at, doc.published_by = timezone.now(), actor.user
    doc.save(update_fields=["published_at", "published_by"])
    record(
        actor=actor,
        action="documents.publish",
        obj=doc,
        before={"published_at": None},
        after={"published_at": doc.published_at.isoformat()},
    )
    return doc


def document_files(*, document: IssuedDocument, verify_url: str) -> IssuedDocument:
    """``document`` with its files: the stored ones, or, the first time, drawn from its figures and
    stored (see the module docstring). Runs outside the caller's transaction."""
    if document.is_stored:
        return document
    files = renderers.renderer(document.kind)(document, verify_url)
    with transaction.atomic():
        doc = _lock(document)
        if not doc.is_stored:
            doc.pdf, doc.pdf_sha256 = files.pdf, digest(files.pdf)
            if files.xlsx is not None:
                doc.xlsx, doc.xlsx_sha256 = files.xlsx, digest(files.xlsx)
            doc.stored_at = timezone.now()
            doc.save(update_fields=["pdf", "pdf_sha256", "xlsx", "xlsx_sha256", "stored_at"])
            record(
                actor=None,
                action="documents.store",
                obj=doc,
                after={"pdf_sha256": doc.pdf_sha256, "xlsx_sha256": doc.xlsx_sha256},
            )
    return doc
