"""What the reserve's pages share: a form page that saves through a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from totalquota.lib.errors import DomainError


def form_page(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], Any],
    *,
    title: str,
    cancel_url: str,
    done: Callable[[Any], HttpResponse],
    intro: str = "",
) -> HttpResponse:
    """``common/form.html`` for ``form``; on a valid POST, ``save(cleaned_data)`` (a service call)
    and ``done(result)``, or the service's refusal shown on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return done(result)
    context: dict[str, Any] = {"form": form, "title": title, "cancel_url": cancel_url}
    if intro:
        context["intro"] = intro
    return render(request, "common/form.html", context)


def back(to: Any) -> Callable[[Any], HttpResponse]:
    """A ``done`` that redirects to ``to`` whatever the service returned."""
    return lambda _result: redirect(to)
