"""储备库 pages of the data decisions rest on: recovery candidates and cases (RES-4), verified
emissions (kept by the emission total library, entered here) and ambient attainment (RES-2)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from totalquota.accounts.permissions import access, principal_of, require, restrict
from totalquota.common.middleware import multipart_post
from totalquota.emissions import services as emissions
from totalquota.emissions.models import VerifiedEmission
from totalquota.lib.units import format_quantity
from totalquota.registry.models import PARK, AttainmentStatus, Indicator, Zone
from totalquota.reserve import selectors, services
from totalquota.reserve.forms import AttainmentForm, RecoveryForm, VerifiedEmissionForm
from totalquota.reserve.models import QuotaApplication, RecoveryCase
from totalquota.reserve.views.common import in_grams
from totalquota.reserve.workflow import RECOVERY_ACTIONS
from totalquota.web.actions import action_view
from totalquota.web.forms import apply_errors, form_page, refusal_above, saved
from totalquota.web.lists import Button, Column, ScopedListView, model_columns
from totalquota.workflow.kernel import Action
from totalquota.workflow.views import assignment_context, history


@login_required
def recovery_candidates(request: HttpRequest) -> HttpResponse:
    require(request.user, "reserve.recover")
    candidates = selectors.recovery_candidates(restrict(request.user, QuotaApplication, "reserve.view"))
    cases = restrict(
        request.user,
        RecoveryCase.objects.select_related(
            "line__application", "line__pollutant", "decided_by", "proposed_by"
        ),
        "reserve.view",
    )[:100]
    return render(
        request,
        "reserve/recovery.html",
        {
            "title": _("指标核查与收回（RES-4）"),
            "candidates": candidates,
            "cases": cases,
            "recovery_form": RecoveryForm(),
        },
    )


def _case(request: HttpRequest, pk: int, permission: str) -> RecoveryCase:
    return access(
        request.user,
        RecoveryCase.objects.select_related("line__application__enterprise", "line__pollutant"),
        pk,
        permission,
    )


@login_required
def recovery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A recovery case: its figures, the notice and the unit's answer, the decision and history;
    the unit sees its own cases here (scoped like its applications)."""
    case = _case(request, pk, "reserve.view")
    return render(
        request,
        "reserve/recovery_detail.html",
        {
            "case": case,
            "title": _("指标收回（RES-4）"),
            "can": RECOVERY_ACTIONS.available(principal_of(request.user), case),
            "transitions": history(case),
            "assignment": assignment_context(request.user, case),
        },
    )


def _answer_file(request: HttpRequest, action: Action[RecoveryCase], _case: RecoveryCase) -> dict[str, Any]:
    """The unit's optional file with its answer."""
    return {"file": request.FILES.get("file")} if action.name == "answer" else {}


# The workflow buttons of a case (notify, answer, approve, reject), one URL each (reserve.urls).
recovery_action = action_view(RECOVERY_ACTIONS, _case, _answer_file)


class VerifiedListView(ScopedListView):
    model = VerifiedEmission
    action = "reserve.view"
    title = gettext_lazy("核实排放量")
    search_fields = ["enterprise__name", "source"]
    export_name = gettext_lazy("核定实际排放量")
    columns = model_columns(
        VerifiedEmission,
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
        "year",
        Column(
            gettext_lazy("实际排放量"), lambda r: format_quantity(r.actual_grams, r.pollutant.unit), css="num"
        ),
        Column(gettext_lazy("单位"), "pollutant.display_unit"),
        Column(gettext_lazy("数据来源"), "source", css="wrap"),
        Column(gettext_lazy("佐证材料"), "evidence_name", css="wrap"),
        "recorded_by",
    )

    related = ("enterprise", "pollutant", "recorded_by")
    buttons = [Button("emissions.record_verified", gettext_lazy("录入核实排放量"), "reserve:verified_create")]


@login_required
@multipart_post
def verified_create(request: HttpRequest) -> HttpResponse:
    """A reviewer types a verified emission with its evidence: the RES-4 (2) fallback where no
    accepted report holds the figure."""
    actor = require(request.user, "emissions.record_verified")

    return form_page(
        request,
        VerifiedEmissionForm(request.POST or None, request.FILES or None),
        save=lambda data: emissions.verified_emission_record(actor=actor, **in_grams(data, "actual")),
        done=lambda _row: saved(request, _("已录入。"), "reserve:verified_list"),
        refused=apply_errors,
        title=_("录入核实排放量"),
        cancel_url=reverse("reserve:verified_list"),
        intro=_(
            "收回候选（RES-4 情形二）取已审核通过的排放量申报；仅在没有通过的申报时，由审核人员按监测报告、"
            "执行报告等录入核实排放量，注明来源并上传佐证材料。"
        ),
    )


def _assessed_zones() -> list[tuple[str, Any]]:
    """The zone filter's choices: the whole park's records, or one zone's."""
    return [(PARK, _("全园区"))] + [(str(z.pk), z.name) for z in Zone.objects.all()]


class AttainmentFilter(django_filters.FilterSet):
    zone = django_filters.ChoiceFilter(label=gettext_lazy("功能区"), choices=(), method="by_zone")
    year = django_filters.NumberFilter(label=gettext_lazy("年度"))
    indicator = django_filters.ChoiceFilter(label=gettext_lazy("指标"), choices=Indicator.choices)
    attained = django_filters.BooleanFilter(label=gettext_lazy("达标"))

    class Meta:
        model = AttainmentStatus
        fields = ["zone", "year", "indicator", "attained"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["zone"].extra["choices"] = _assessed_zones()

    def by_zone(
        self, queryset: QuerySet[AttainmentStatus], name: str, value: str
    ) -> QuerySet[AttainmentStatus]:
        if value == PARK:
            return queryset.filter(zone__isnull=True)
        return queryset.filter(zone_id=value) if value.isdigit() else queryset.none()


class AttainmentListView(ScopedListView):
    model = AttainmentStatus
    action = "reserve.view"
    title = gettext_lazy("环境质量达标状况")
    export_name = gettext_lazy("环境质量达标状况")
    search_fields = ["source", "zone__name", "zone__code"]
    search_placeholder = gettext_lazy("依据、功能区")
    filterset_class = AttainmentFilter
    related = ("zone", "recorded_by")
    columns = model_columns(
        AttainmentStatus,
        "year",
        Column(gettext_lazy("功能区"), lambda r: r.zone.name if r.zone_id else _("全园区")),
        "indicator attained",
        Column(gettext_lazy("依据"), "source", css="wrap"),
        "recorded_by",
    )

    buttons = [Button("reserve.record_data", gettext_lazy("录入达标状况"), "reserve:attainment_create")]


@login_required
def attainment_create(request: HttpRequest) -> HttpResponse:
    actor = require(request.user, "reserve.record_data")
    return form_page(
        request,
        AttainmentForm(request.POST or None, initial={"year": timezone.localdate().year - 1}),
        save=lambda data: services.attainment_record(actor=actor, **data),
        done=lambda _row: redirect("reserve:attainment_list"),
        refused=refusal_above,
        title=_("录入环境质量达标状况"),
        cancel_url=reverse("reserve:attainment_list"),
        intro=_(
            "上年度不达标的指标决定相关污染物的平衡比例（RES-2）和本年度允许排放量的核定（TOT-3）；"
            "每个功能区（或全园区）、指标和年度一条记录，功能区没有自己的记录时按全园区的记录。"
        ),
    )
