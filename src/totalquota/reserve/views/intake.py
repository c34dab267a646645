"""储备库 pages of the quarterly intake (RES-1)."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, may, principal_of, require
from totalquota.common.xlsx import export_filename, write_workbook, xlsx_response
from totalquota.lib.errors import DomainError
from totalquota.lib.units import grams_to_decimal
from totalquota.registry.models import Zone
from totalquota.reserve import selectors, services
from totalquota.reserve.forms import ExcludeForm, IntakeForm
from totalquota.reserve.models import IntakeItem, IntakeRun, IntakeStatus
from totalquota.reserve.workflow import INTAKE_ACTIONS
from totalquota.web.actions import action_view
from totalquota.web.forms import form_page, refusal_above
from totalquota.web.lists import Button, Column, ScopedListView, export_heading, model_columns
from totalquota.workflow.views import assignment_context, history

QUARTERS = [
    (1, gettext_lazy("第 1 季度")),
    (2, gettext_lazy("第 2 季度")),
    (3, gettext_lazy("第 3 季度")),
    (4, gettext_lazy("第 4 季度")),
]


class IntakeFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=gettext_lazy("年度"))
    quarter = django_filters.ChoiceFilter(label=gettext_lazy("季度"), choices=QUARTERS)
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=IntakeStatus.choices)
    zone = django_filters.ModelChoiceFilter(
        label=gettext_lazy("功能区"),
        queryset=Zone.objects.filter(is_active=True),
        method="with_zone",
    )

    class Meta:
        model = IntakeRun
        fields = ["year", "quarter", "status", "zone"]

    def with_zone(self, queryset: QuerySet[IntakeRun], _name: str, zone: Zone) -> QuerySet[IntakeRun]:
        """The runs that list a line of ``zone``."""
        return queryset.filter(items__zone=zone).distinct()


class IntakeListView(ScopedListView):
    model = IntakeRun
    action = "reserve.intake_view"
    title = gettext_lazy("季度入库（RES-1）")
    export_name = gettext_lazy("季度入库")
    filterset_class = IntakeFilter
    columns = model_columns(
        IntakeRun,
        Column(gettext_lazy("入库批次"), lambda r: str(r), link=True),
        "status",
        Column(gettext_lazy("审核日期自"), "period_start"),
        "period_end effective_date created_by confirmed_by confirmed_at",
    )

    related = ("created_by", "confirmed_by")
    buttons = [Button("reserve.intake", gettext_lazy("编制入库批次"), "reserve:intake_create")]


@login_required
def intake_create(request: HttpRequest) -> HttpResponse:
    actor = require(request.user, "reserve.intake")
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    form = IntakeForm(
        request.POST or None, initial={"year": today.year, "quarter": quarter, "effective_date": today}
    )
    return form_page(
        request,
        form,
        save=lambda data: services.intake_prepare(actor=actor, **data),
        done=redirect,
        refused=refusal_above,
        title=_("编制季度入库批次"),
        cancel_url=reverse("reserve:intake_list"),
        intro=_("列出该季度经审核入库的减排项目，逐项显示拟入库量和不予入库的情形（RES-1）；确认前不记账。"),
    )


@login_required
def intake_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    run = access(request.user, IntakeRun, pk, "reserve.intake_view")
    items = selectors.intake_items(run)
    if request.GET.get("export") == "xlsx":
        rows = [
            [
                i.zone.name,
                i.line.project.name,
                i.pollutant.display_name,
                i.pollutant.display_unit,
                grams_to_decimal(i.reduction_grams, i.pollutant.unit),
                grams_to_decimal(i.excluded_grams, i.pollutant.unit),
                grams_to_decimal(i.intake_grams, i.pollutant.unit),
                "；".join(f"{r['label']} {r.get('references') or ''}" for r in i.reason_rows),
            ]
            for i in items
        ]
        headers = [
            _("功能区"),
            _("减排项目"),
            _("污染物"),
            _("单位"),
            _("核定减排量"),
            _("不予入库量"),
            _("入库量"),
            _("不予入库情形"),
        ]
        title = _("%(year)d年第%(quarter)d季度减排量入库明细") % {"year": run.year, "quarter": run.quarter}
        heading = export_heading(request.user, title, str(run))
        return xlsx_response(
            write_workbook([(title, headers, rows)], heading=heading),
            export_filename(title, timezone.localdate()),
        )
    return render(
        request,
        "reserve/intake_detail.html",
        {
            "run": run,
            "items": items,
            "title": str(run),
            "exclude_form": ExcludeForm(),
            "can": INTAKE_ACTIONS.available(principal_of(request.user), run),
            "can_exclude": run.status == IntakeStatus.PREPARED and may(request.user, "reserve.intake"),
            "transitions": history(run),
            "assignment": assignment_context(request.user, run),
        },
    )


@login_required
@require_POST
def intake_item_exclude(request: HttpRequest, pk: int) -> HttpResponse:
    item = access(request.user, IntakeItem.objects.select_related("run"), pk, "reserve.intake")
    form = ExcludeForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("请说明原因"))
        services.intake_exclude(
            actor=principal_of(request.user), item=item, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(item.run)


def _load(request: HttpRequest, pk: int, permission: str) -> IntakeRun:
    return access(request.user, IntakeRun, pk, permission)


# The workflow buttons of a run (confirm: four eyes; cancel), one URL each (reserve.urls).
intake_action = action_view(INTAKE_ACTIONS, _load)
