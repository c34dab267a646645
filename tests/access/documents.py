"""Access table: the public verify page of issued documents (no login; everyone gets it)."""

from __future__ import annotations

from typing import Any

from . import PEOPLE, Page, allow
from .reserve import objects

PUBLIC = allow(*PEOPLE, roles_list=PEOPLE)


def code(w: Any) -> dict[str, str]:
    from totalquota.documents.models import DocumentKind
    from totalquota.documents.selectors import valid_document

    document = valid_document(objects(w).approved, DocumentKind.ANNEX_1)
    assert document is not None
    return {"code": document.verification_code}


PAGES = {
    "documents:verify": Page(PUBLIC, anonymous=200),
    "documents:verify_code": Page(PUBLIC, kwargs=code, anonymous=200),
    "documents:verify_download": Page(PUBLIC, kwargs=lambda w: {**code(w), "fmt": "pdf"}, anonymous=200),
}
