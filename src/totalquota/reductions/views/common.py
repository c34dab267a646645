"""What the reduction library's pages share: the project in the person's scope, form errors placed
on their fields, the zones and units a form offers, refusals shown as messages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import (
    access,
    may,
    principal_of,
    restrict,
    zone_allowed,
)
from totalquota.lib.errors import DomainError
from totalquota.lib.units import format_quantity, grams_to_decimal
from totalquota.reductions import selectors
from totalquota.reductions.models import (
    EDITABLE,
    ProjectStatus,
    ReductionProject,
)
from totalquota.registry.models import Enterprise
from totalquota.registry.selectors import active_zones
from totalquota.web.forms import form_page as web_form_page
from totalquota.web.lists import Column

S = ProjectStatus


def _apply_errors(form, exc: DomainError) -> None:
    text = str(exc)
    if exc.errors:
        placed = False
        for item in exc.errors:
            field = item.get("field")
            if field in form.fields:
                form.add_error(field, item["message"])
                placed = True
        if not placed or exc.clause:
            form.add_error(None, text)
    elif exc.field in form.fields:
        form.add_error(exc.field, text)
    else:
        form.add_error(None, text)


def _zones_for(user):
    return active_zones(principal_of(user))


def _enterprises_for(user):
    return restrict(user, Enterprise.objects.filter(is_active=True).select_related("zone"), "registry.view")


def reductions_text(project: ReductionProject) -> str:
    return "；".join(
        f"{line.pollutant.display_name} {format_quantity(line.reduction_grams, line.pollutant.unit, suffix=True)}"
        for line in project.lines.all()
    )


class PollutantQuantity(Column):
    """A gram amount shown in its row's pollutant unit (t/a, or kg/a for heavy metals); exported
    as a number in that unit, with the unit in the next column of the export."""

    def raw(self, row: Any) -> Any:
        grams = super().raw(row)
        return None if grams is None else format_quantity(int(grams), row.pollutant.unit, suffix=True)

    def export_value(self, row: Any) -> Any:
        grams = Column.raw(self, row)
        return "" if grams is None else grams_to_decimal(int(grams), row.pollutant.unit)


def _project(request, pk: int, action: str = "reductions.view") -> ReductionProject:
    return access(
        request.user, ReductionProject.objects.select_related("zone", "enterprise", "round"), pk, action
    )


def _can_prepare(user, project: ReductionProject) -> bool:
    if not may(user, "reductions.prepare") or project.status not in EDITABLE:
        return False
    principal = principal_of(user)
    if principal.enterprise_id is not None:
        return project.enterprise_id == principal.enterprise_id and project.status != S.ZONE_PENDING
    return zone_allowed(principal, project.zone_id)


def _due(project: ReductionProject):
    try:
        return selectors.due_date(project)
    except DomainError:  # the deadline rule is missing: shown as unknown, the admin is told at home
        return None


def round_text(project: ReductionProject) -> str:
    """The project's declaration round as a list shows it, with its late declaration (RED-3)."""
    text = str(project.round) if project.round_id is not None else _("待下一申报轮次")
    if project.late_declaration:
        late = _("逾期申报（已接受）") if project.late_accepted_at else _("逾期申报")
        text = f"{text} · {late}"
    return text


def _refused(request, project, exc: DomainError):
    messages.error(request, str(exc))
    return redirect(project)


def form_page(request: HttpRequest, form: Any, **kwargs: Any) -> HttpResponse:
    """:func:`web.forms.form_page` as every form page here uses it: a refusal is placed on the
    form's fields (with its clause above the form) and the page answers 422 while the form shows
    errors."""
    return web_form_page(request, form, refused=_apply_errors, invalid_status=422, **kwargs)
