"""Reads of issued documents: the valid one of a record, the versions of a record, by code."""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from totalquota.documents.models import DocumentState, IssuedDocument

# Codes are ``secrets.token_urlsafe(24)``: 32 characters of the URL-safe alphabet.
FILES = ("pdf", "xlsx")  # the stored bytes, read only when sent
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")


def documents_of(subject: models.Model, kind: str) -> QuerySet[IssuedDocument]:
    """Every version of ``kind`` issued for ``subject``, newest first."""
    return (
        IssuedDocument.objects.defer(*FILES)
        .filter(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk, kind=kind)
        .order_by("-version")
    )


def valid_document(subject: models.Model, kind: str) -> IssuedDocument | None:
    """The valid document of ``kind`` for ``subject`` (at most one: a unique index keeps it so)."""
    return documents_of(subject, kind).filter(state=DocumentState.VALID).first()


def by_verification_code(code: str) -> IssuedDocument | None:
    """The document carrying ``code``, or ``None``. A malformed code is not looked up; a
    well-formed one is one lookup on the unique index, whatever it is."""
    code = (code or "").strip()
    if not CODE_PATTERN.fullmatch(code):
        return None
    return (
        IssuedDocument.objects.select_related("superseded_by", "issued_by")
        .filter(verification_code=code)
        .first()
    )
