"""Sending an issued document's stored files, and the public address its QR code points to."""

from __future__ import annotations

import io

from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse

from totalquota.common.pdf import pdf_response
from totalquota.common.xlsx import xlsx_response
from totalquota.documents.models import IssuedDocument
from totalquota.documents.services import document_files


def public_base_url(request: HttpRequest | None = None) -> str:
    """Where the public verify page is reached: ``PUBLIC_BASE_URL``, else the request's host,
    else the development server."""
    base = getattr(settings, "PUBLIC_BASE_URL", "") or ""
    if not base and request is not None:
        base = request.build_absolute_uri("/")
    return (base or "http://127.0.0.1:8000").rstrip("/")


def verify_url(code: str, request: HttpRequest | None = None) -> str:
    return public_base_url(request) + reverse("documents:verify_code", args=[code])


def send_file(document: IssuedDocument, fmt: str, filename: str, request: HttpRequest) -> HttpResponseBase:
    """The stored file of ``document`` in ``fmt`` (``pdf`` or ``xlsx``), drawn and stored the first
    time it is asked for; any other format is not found."""
    if fmt not in ("pdf", "xlsx"):
        raise Http404
    stored = document_files(document=document, verify_url=verify_url(document.verification_code, request))
    if fmt == "pdf" and stored.pdf is not None:
        return pdf_response(bytes(stored.pdf), f"{filename}.pdf")
    if fmt == "xlsx" and stored.xlsx is not None:
        return xlsx_response(io.BytesIO(bytes(stored.xlsx)), f"{filename}.xlsx")
    raise Http404
