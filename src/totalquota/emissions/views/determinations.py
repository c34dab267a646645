"""Pages of the emission total library: this year's allowed emissions (TOT-3) and the unit's record.

The list of determinations; a zone and year's run (compute, issue, the zone's total against its
total control per pollutant); a determination with its derivation in words, its overrides (four
eyes) and its document; the unit's record per year. Every page is scoped by ``restrict`` /
``access``: a unit sees its own, a zone officer its zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import (
    access,
    in_zones,
    may,
    principal_of,
    require,
    restrict,
    zone_visible,
)
from totalquota.documents import selectors as documents
from totalquota.documents.models import DocumentKind
from totalquota.documents.responses import send_file
from totalquota.emissions import selectors_determinations as reads
from totalquota.emissions.determination_text import explain
from totalquota.emissions.forms_determinations import OverrideForm, RejectForm, RunForm
from totalquota.emissions.models import (
    ConsistencyFlag,
    Determination,
    DeterminationLine,
    DeterminationStatus,
    EmissionReport,
)
from totalquota.emissions.services import determinations as services
from totalquota.lib.errors import DomainError
from totalquota.registry.models import Enterprise, Zone
from totalquota.registry.selectors import unit_names_on
from totalquota.web.lists import Button, Column, ScopedListView, model_columns

VIEW = "emissions.view"
DETERMINE = "emissions.determine"


def year_choices() -> list[tuple[str, str]]:
    years = Determination.objects.values_list("year", flat=True).distinct().order_by("-year")
    return [(str(y), str(y)) for y in years]


class DeterminationFilter(django_filters.FilterSet):
    year = django_filters.ChoiceFilter(label=gettext_lazy("核定年度"), choices=year_choices)
    zone = django_filters.ModelChoiceFilter(label=gettext_lazy("功能区"), queryset=Zone.objects.all())
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=DeterminationStatus.choices)

    class Meta:
        model = Determination
        fields = ["year", "zone", "status"]


class DeterminationListView(ScopedListView):
    model = Determination
    action = VIEW
    title = gettext_lazy("年度核定排放量")
    export_name = gettext_lazy("年度核定排放量")
    search_fields = ["enterprise__name", "enterprise__uscc"]
    search_placeholder = gettext_lazy("单位名称或统一社会信用代码")
    filterset_class = DeterminationFilter
    related = ("enterprise", "zone", "computed_by", "issued_by", "document")
    ordering = ("-year", "zone__sort_order", "enterprise__name", "pk")
    columns = model_columns(
        Determination,
        "year",
        Column(gettext_lazy("排污单位"), "enterprise.name", link=True),
        Column(gettext_lazy("统一社会信用代码"), "enterprise.uscc"),
        "zone status computed_by computed_at issued_at",
        Column(gettext_lazy("核定文件"), lambda d: d.document.code if d.document else ""),
    )
    buttons = [
        Button(DETERMINE, gettext_lazy("测算与下达"), "emissions:determination_runs", icon="bi-calculator")
    ]


@login_required
def determination_runs(request: HttpRequest) -> HttpResponse:
    """The zone-year runs the person may see, and a form to open another."""
    principal = require(request.user, VIEW)
    zones = in_zones(principal, Zone.objects.filter(is_active=True).order_by("sort_order"))
    form = RunForm(request.GET or None, zones=zones)
    if form.is_bound and form.is_valid():
        return redirect(
            "emissions:determination_run", zone=form.cleaned_data["zone"].pk, year=form.cleaned_data["year"]
        )
    visible = restrict(request.user, Determination, VIEW)
    return render(
        request,
        "emissions/determinations_runs.html",
        {
            "title": _("核定测算与下达"),
            "runs": reads.runs(visible),
            "form": form,
            "can_determine": may(request.user, DETERMINE),
        },
    )


def _zone(request: HttpRequest, zone_id: int) -> Zone:
    principal = require(request.user, VIEW)
    zone = Zone.objects.filter(pk=zone_id).first()
    if zone is None or not zone_visible(principal, zone.pk):
        raise Http404
    return zone


@login_required
def determination_run(request: HttpRequest, zone: int, year: int) -> HttpResponse:
    """A zone's determinations of ``year``: per unit and pollutant, the zone's totals against its
    total control, and the compute and issue buttons."""
    zone_obj = _zone(request, zone)
    determinations = restrict(request.user, reads.run_determinations(zone_obj, year), VIEW)
    pollutants: dict[int, Any] = {}
    for d in determinations:
        for line in d.lines.all():
            pollutants.setdefault(line.pollutant_id, line.pollutant)
    columns = sorted(pollutants.values(), key=lambda p: (p.sort_order, p.code))
    # A past year shows each unit under the name it was registered with at the end of the
    # emission year (单位沿革), its current name beside it when it has changed since.
    names = unit_names_on([d.enterprise_id for d in determinations], dt.date(year - 1, 12, 31))
    rows = []
    for d in determinations:
        by = {line.pollutant_id: line for line in d.lines.all()}
        rows.append(
            {
                "determination": d,
                "unit_name": names.get(d.enterprise_id, d.enterprise.name),
                "cells": [by.get(p.pk) for p in columns],
            }
        )
    return render(
        request,
        "emissions/determinations_run.html",
        {
            "title": _("%(zone)s %(year)s 年度核定排放量") % {"zone": zone_obj.name, "year": year},
            "zone": zone_obj,
            "year": year,
            "emission_year": year - 1,
            "columns": columns,
            "rows": rows,
            # A unit sees its own determination here, not its zone's totals.
            "totals": reads.zone_totals(zone_obj, year)
            if principal_of(request.user).enterprise_id is None
            else [],
            "can_determine": may(request.user, DETERMINE),
        },
    )


def _run_post(request: HttpRequest, zone: int, year: int, run: Any, done: str) -> HttpResponse:
    zone_obj = _zone(request, zone)
    actor = require(request.user, DETERMINE)
    try:
        results = run(actor=actor, zone=zone_obj, year=year)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done % {"n": len(results)})
    return redirect("emissions:determination_run", zone=zone_obj.pk, year=year)


@login_required
@require_POST
def determination_compute(request: HttpRequest, zone: int, year: int) -> HttpResponse:
    return _run_post(
        request, zone, year, services.determination_compute, _("已测算 %(n)d 家单位的核定排放量。")
    )


@login_required
@require_POST
def determination_issue(request: HttpRequest, zone: int, year: int) -> HttpResponse:
    return _run_post(request, zone, year, services.determination_issue, _("已下达 %(n)d 份核定文件。"))


def _determination(request: HttpRequest, pk: int, action: str = VIEW) -> Determination:
    return access(
        request.user,
        Determination.objects.select_related("enterprise", "zone", "computed_by", "issued_by", "document"),
        pk,
        action,
    )


def line_view(line: DeterminationLine, user: Any) -> dict[str, Any]:
    unit = line.pollutant.unit
    principal = principal_of(user)
    pending = line.override_pending
    return {
        "line": line,
        "steps": explain(line.derivation or [], unit),
        "pending": pending,
        "can_propose": may(user, DETERMINE) and not pending,
        "can_decide": may(user, DETERMINE) and pending and line.override_by_id != principal.user_id,
        "form": OverrideForm(unit=unit, prefix=f"l{line.pk}"),
    }


@login_required
def determination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    determination = _determination(request, pk)
    lines = determination.lines.select_related(
        "pollutant", "report_line", "override_by", "override_confirmed_by"
    )
    from totalquota.registry.models import Pollutant

    names = {p.code: p for p in Pollutant.objects.all()}
    undetermined = [
        {
            "pollutant": names.get(u["pollutant"]),
            "steps": explain(
                u.get("steps") or [], names[u["pollutant"]].unit if u["pollutant"] in names else "t/a"
            ),
        }
        for u in determination.undetermined or []
    ]
    versions = (
        documents.documents_of(determination, DocumentKind.DETERMINATION) if determination.document_id else []
    )
    return render(
        request,
        "emissions/determinations_detail.html",
        {
            "title": _("%(unit)s %(year)s 年度核定排放量")
            % {"unit": determination.enterprise.name, "year": determination.year},
            "determination": determination,
            "lines": [line_view(line, request.user) for line in lines],
            "undetermined": undetermined,
            "versions": versions,
            "run_url": reverse(
                "emissions:determination_run",
                kwargs={"zone": determination.zone_id, "year": determination.year},
            ),
            "reject_form": RejectForm(),
        },
    )


def _line(request: HttpRequest, pk: int) -> DeterminationLine:
    return access(
        request.user, DeterminationLine.objects.select_related("pollutant", "determination"), pk, DETERMINE
    )


@login_required
@require_POST
def determination_override(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk)
    form = OverrideForm(request.POST, unit=line.pollutant.unit, prefix=f"l{line.pk}")
    if form.is_valid():
        try:
            services.determination_override_propose(
                actor=principal_of(request.user),
                line=line,
                grams=form.cleaned_data["quantity"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已提出调整，待另一名审核人员确认。"))
    else:
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(line.determination)


@login_required
@require_POST
def determination_override_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk)
    try:
        services.determination_override_confirm(actor=principal_of(request.user), line=line)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已确认调整，核定排放量已更新。"))
    return redirect(line.determination)


@login_required
@require_POST
def determination_override_reject(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk)
    form = RejectForm(request.POST)
    try:
        services.determination_override_reject(
            actor=principal_of(request.user), line=line, reason=form.data.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已驳回调整。"))
    return redirect(line.determination)


@login_required
def determination_document(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The valid issued document of a determination (the files drawn on first download)."""
    if fmt not in ("pdf", "xlsx"):
        raise Http404
    determination = _determination(request, pk)
    document = documents.valid_document(determination, DocumentKind.DETERMINATION)
    if document is None:
        messages.error(request, _("该核定尚未下达"))
        return redirect(determination)
    return send_file(
        document,
        fmt,
        f"许可排放量核定结果-{determination.year}-{document.code}-第{document.version}版",
        request,
    )


def _maybe_url(name: str, *args: Any, query: str = "") -> str:
    """The address of a page another area of the library provides, or "" before it lands."""
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return ""


@login_required
def unit_record(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    """The unit's record per emission year: report, determination, flags and quota side by side."""
    enterprise = access(request.user, Enterprise.objects.select_related("zone"), enterprise_id, VIEW)
    reports: QuerySet = restrict(request.user, EmissionReport, VIEW)
    determinations: QuerySet = restrict(request.user, Determination, VIEW)
    flags: QuerySet = restrict(request.user, ConsistencyFlag, VIEW)
    records = reads.unit_record(enterprise, reports=reports, determinations=determinations, flags=flags)
    for record in records:
        record.report_url = (  # type: ignore[attr-defined]
            _maybe_url("emissions:report_detail", record.report.pk) if record.report else ""
        )
        record.flags_url = _maybe_url(  # type: ignore[attr-defined]
            "emissions:flag_list", query=f"?enterprise={enterprise.pk}&year={record.year}"
        )
    return render(
        request,
        "emissions/determinations_unit.html",
        {
            "title": _("%(unit)s：排放与总量记录") % {"unit": enterprise.name},
            "enterprise": enterprise,
            "records": records,
        },
    )


urlpatterns: list[URLPattern] = [
    path("determinations/", DeterminationListView.as_view(), name="determination_list"),
    path("determinations/runs/", determination_runs, name="determination_runs"),
    path("determinations/runs/<int:zone>/<int:year>/", determination_run, name="determination_run"),
    path(
        "determinations/runs/<int:zone>/<int:year>/compute/",
        determination_compute,
        name="determination_compute",
    ),
    path("determinations/runs/<int:zone>/<int:year>/issue/", determination_issue, name="determination_issue"),
    path("determinations/<int:pk>/", determination_detail, name="determination_detail"),
    path("determinations/<int:pk>/document.<str:fmt>", determination_document, name="determination_document"),
    path("determinations/lines/<int:pk>/override/", determination_override, name="determination_override"),
    path(
        "determinations/lines/<int:pk>/confirm/",
        determination_override_confirm,
        name="determination_override_confirm",
    ),
    path(
        "determinations/lines/<int:pk>/reject/",
        determination_override_reject,
        name="determination_override_reject",
    ),
    path("units/<int:enterprise_id>/", unit_record, name="unit_record"),
]
