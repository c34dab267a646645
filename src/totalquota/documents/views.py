"""The public verify page (no login): whoever holds a document's verification code sees which
document it is, whether it is still valid, and may download the stored file.

The code carries 192 random bits, so guessing one is hopeless and a wrong code learns nothing:
it answers "not found" with the same page, whatever was typed. Logins are rate-limited by
django-axes; this page has no rate limit of its own (a front proxy may add one)."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from totalquota.documents import selectors
from totalquota.documents.models import ISSUER_LABEL
from totalquota.documents.responses import send_file


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


@never_cache
@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    document = selectors.by_verification_code(code)
    context = {
        "form": VerifyForm(initial={"code": code}),
        "title": _("签发文件验证"),
        "document": document,
        "issuer": ISSUER_LABEL,
    }
    return render(request, "documents/verify.html", context, status=200 if document else 404)


@never_cache
@require_GET
def verify_download(request: HttpRequest, code: str, fmt: str) -> HttpResponseBase:
    document = selectors.by_verification_code(code)
    if document is None:
        raise Http404
    return send_file(document, fmt, f"{document.get_kind_display()}-{document.code}", request)
