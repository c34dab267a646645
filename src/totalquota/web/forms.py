"""Form pages and one-button posts, all alike: a service does the write, a refusal lands on the form.

:func:`form_page` shows a form (``common/form.html`` unless told otherwise), calls ``save`` with
the cleaned data once it is valid, and either puts the service's refusal on the form
(:func:`apply_errors`) or answers with ``done(result)``: usually :func:`saved`, a message and a
redirect. :func:`import_page` is the same for a spreadsheet upload (``common/import.html``: a
refused file is answered with 422 and its problems listed), :func:`post_action` for a button
without a form (revoke, unlock)::

    def zone_create(request):
        require(request.user, "registry.manage_zones")
        return form_page(
            request,
            ZoneForm(request.POST or None),
            save=lambda data: services.zone_save(actor=principal_of(request.user), **data),
            done=lambda zone: saved(request, _("已保存功能区。"), "registry:zone_list"),
            title=_("新增功能区"),
            cancel_url=reverse("registry:zone_list"),
        )
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from totalquota.lib.errors import DomainError


def apply_errors(form: forms.BaseForm, exc: DomainError) -> None:
    """A service's refusal on ``form``: each listed problem on its field (or the whole form), else
    the message on the field it names."""
    if exc.errors:
        for item in exc.errors:
            field = item.get("field")
            form.add_error(field if field in form.fields else None, item["message"])
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def refusal_above(form: forms.BaseForm, exc: DomainError) -> None:
    """A service's refusal above ``form``, as one sentence with the clause that refused it."""
    form.add_error(None, str(exc))


def saved(request: HttpRequest, message: str, to: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    """The answer after a write: ``message`` shown on the next page, a redirect to ``to``."""
    messages.success(request, message)
    return redirect(to, *args, **kwargs)


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    save: Callable[[dict[str, Any]], Any],
    done: Callable[[Any], HttpResponse],
    title: Any,
    cancel_url: str,
    template: str = "common/form.html",
    invalid_status: int = 200,
    refused: Callable[[forms.BaseForm, DomainError], None] = apply_errors,
    **context: Any,
) -> HttpResponse:
    """The page of ``form``: on a valid POST ``save(cleaned_data)``, then ``done(result)``; a
    refusal (``DomainError``) is put on the form by ``refused`` (on its fields unless told
    otherwise) and it and an invalid form show the form again with the errors, answered with
    ``invalid_status`` (pages whose callers look at the status use 422)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except DomainError as exc:
            refused(form, exc)
        else:
            return done(result)
    status = invalid_status if form.is_bound and form.errors else 200
    context = {"form": form, "title": title, "cancel_url": cancel_url, **context}
    return render(request, template, context, status=status)


def import_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    save: Callable[[Any], Any],
    done: Callable[[Any], HttpResponse],
    title: Any,
    template: str,
) -> HttpResponse:
    """A spreadsheet import (a page extending ``common/import.html``): ``save(file)`` reads and
    imports the uploaded file, then ``done(result)``; a refused file is answered with 422, its
    message on the form and its problems (row, column, value, message) listed beside it."""
    problems: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data["file"])
        except DomainError as exc:
            form.add_error(None, str(exc))
            problems = exc.errors
            status = 422
        else:
            return done(result)
    return render(request, template, {"form": form, "problems": problems, "title": title}, status=status)


def post_action(
    request: HttpRequest, run: Callable[[], Any], message: str, to: Any, **kwargs: Any
) -> HttpResponse:
    """A button's POST: ``run()`` the write, show ``message`` (or the refusal), redirect to ``to``."""
    try:
        run()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect(to, **kwargs)
