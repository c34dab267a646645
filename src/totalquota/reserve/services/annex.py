"""Issuing the ANNEX-1 table (附件1) of an approved application as a numbered document.

The approval issues it (:func:`annex_issue`, in the approval's transaction); a change of what it
states (a recovery lowering the permitted quantity, a correction) issues the next version and
supersedes the old one in the transaction of the change (:func:`annex_reissue`). Applications
approved before documents were recorded get theirs on first download (:func:`annex_document`),
numbered then, in the year of their decision. The files are drawn on first download (see
``documents.services``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from totalquota.accounts.permissions import Principal
from totalquota.documents import selectors as documents
from totalquota.documents.models import DocumentKind, IssuedDocument
from totalquota.documents.services import document_issue, document_supersede
from totalquota.reserve.annex import annex_figures
from totalquota.reserve.models import ApplicationStatus, ApplicationTransition, QuotaApplication
from totalquota.reserve.services.holds import lock_application

KIND = DocumentKind.ANNEX_1


def _label(application: QuotaApplication) -> str:
    return f"{application.code} {application.project_name}"


def _decided_on(application: QuotaApplication) -> dt.date:
    return timezone.localdate(application.decided_at) if application.decided_at else timezone.localdate()


def annex_issue(*, actor: Principal, application: QuotaApplication) -> IssuedDocument:
    """The ANNEX-1 of ``application``, issued in the approval's transaction (the application row
    locked; its lines carry the approved figures)."""
    return _issue(actor, application)


def _issue(actor: Principal | None, application: QuotaApplication, **extra: Any) -> IssuedDocument:
    """Issue the table stating ``application``'s figures as they stand, dated by its decision."""
    return document_issue(
        actor=actor,
        kind=KIND,
        subject=application,
        issued_on=_decided_on(application),
        figures=annex_figures(application),
        holder=application.enterprise.name,
        subject_label=_label(application),
        **extra,
    )


def annex_reissue(
    *, actor: Principal, application: QuotaApplication, on: dt.date | None = None
) -> IssuedDocument | None:
    """After a change of the figures ANNEX-1 states: the next version stating the new figures,
    the old one superseded by it, dated ``on`` (the change's decision; default today). Nothing when no valid
    ANNEX-1 exists or it states these figures already. Call in the change's transaction, with the
    application row locked."""
    current = documents.valid_document(application, KIND)
    figures = annex_figures(application)
    if current is None or current.figures == figures:
        return None
    return document_supersede(
        actor=actor, document=current, issued_on=on or timezone.localdate(), figures=figures
    )


def _issuer(application: QuotaApplication):
    if application.decided_by is not None:
        return application.decided_by
    approval = (
        ApplicationTransition.objects.filter(application=application, to_status=ApplicationStatus.APPROVED)
        .exclude(actor=None)
        .order_by("-at")
        .first()
    )
    return approval.actor if approval is not None else application.created_by


def annex_document(*, application: QuotaApplication) -> IssuedDocument | None:
    """The ANNEX-1 to send for an approved ``application``: the valid one; for an application
    approved before documents were recorded, issued now by the platform in the name of the person
    who approved it; ``None`` when every version was revoked."""
    current = documents.valid_document(application, KIND)
    if current is not None:
        return current
    if documents.documents_of(application, KIND).exists():
        return None
    with transaction.atomic():
        application = lock_application(application)  # lock order step 1: one first issue at a time
        current = documents.valid_document(application, KIND)
        if current is not None or application.status != ApplicationStatus.APPROVED:
            return current
        return _issue(None, application, issuer=_issuer(application))
