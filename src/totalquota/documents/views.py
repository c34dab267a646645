"""The public verify page (no login): whoever holds a document's verification code sees which
document it is, whether it is still valid, and may download the stored file.

The code carries 192 random bits, so guessing one is hopeless and a wrong code learns nothing:
it answers "not found" with the same page, whatever was typed. Logins are rate-limited by
django-axes; this page has no rate limit of its own (a front proxy may add one)."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from totalquota.documents import selectors
from totalquota.documents.models import ISSUER_LABEL
from totalquota.documents.responses import send_file, verify_url
from totalquota.documents.services import document_files


class VerifyForm(forms.Form):
    # Only the code's own alphabet goes into the address of its page; anything else is not found.
    code = forms.RegexField(label=_("验证码"), regex=r"^[A-Za-z0-9_-]{1,64}$", strip=True)


@never_cache
@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """The form taking a code; a submitted code goes to its own page."""
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("documents:verify_code", code=form.cleaned_data["code"])
    return render(request, "documents/verify.html", {"form": form, "title": _("签发文件验证")})


class CopyForm(forms.Form):
    file = forms.FileField(label=_("核对手中的文件"))


def _copy_check(request: HttpRequest, document: Any) -> tuple[CopyForm, str | None]:
    """A copy someone holds, checked against the files stored at issue: ``genuine`` when its
    SHA-256 is that of the stored PDF or XLSX, ``altered`` otherwise (nothing is kept)."""
    form = CopyForm(request.POST, request.FILES)
    if not form.is_valid():
        return form, None
    upload = form.cleaned_data["file"]
    if upload.size > settings.UPLOAD_MAX_BYTES:
        form.add_error("file", _("文件过大"))
        return form, None
    stored = document_files(document=document, verify_url=verify_url(document.verification_code, request))
    sha = hashlib.sha256()
    for chunk in upload.chunks():
        sha.update(chunk)
    found = sha.hexdigest()
    return form, ("genuine" if found in {stored.pdf_sha256, stored.xlsx_sha256} - {""} else "altered")


@never_cache
@require_http_methods(["GET", "POST"])
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """The document carrying ``code``; a POSTed file is checked against its stored files."""
    document = selectors.by_verification_code(code)
    copy_form, copy_result = CopyForm(), None
    if request.method == "POST" and document is not None:
        copy_form, copy_result = _copy_check(request, document)
    context = {
        "form": VerifyForm(initial={"code": code}),
        "title": _("签发文件验证"),
        "document": document,
        "issuer": ISSUER_LABEL,
        "copy_form": copy_form,
        "copy_result": copy_result,
    }
    status = 200 if document else 404
    if request.method == "POST" and document is not None and copy_result is None:
        status = 422
    return render(request, "documents/verify.html", context, status=status)


@never_cache
@require_GET
def verify_download(request: HttpRequest, code: str, fmt: str) -> HttpResponseBase:
    document = selectors.by_verification_code(code)
    if document is None:
        raise Http404
    return send_file(document, fmt, f"{document.get_kind_display()}-{document.code}", request)
