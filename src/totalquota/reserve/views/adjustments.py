"""储备库 pages of the bureau's adjustments (储备调整): zone transfers, corrections and upper-level
deductions, proposed by one administrator and confirmed by another person (four eyes)."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, principal_of, require
from totalquota.ledger.models import Posting
from totalquota.lib.errors import DomainError
from totalquota.lib.units import format_quantity
from totalquota.registry.models import Pollutant, Zone
from totalquota.reserve import services
from totalquota.reserve.forms import CorrectionForm, ZoneTransferForm
from totalquota.reserve.models import AdjustmentKind, AdjustmentStatus, QuotaAdjustment
from totalquota.reserve.workflow import ADJUSTMENT_ACTIONS
from totalquota.web.actions import action_view
from totalquota.web.forms import form_page, saved
from totalquota.web.lists import Button, Column, ScopedListView, model_columns
from totalquota.workflow.views import assignment_context, history

RELATED = ("zone", "pollutant", "from_lot", "to_zone", "target", "line__project", "proposed_by", "decided_by")


class AdjustmentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=gettext_lazy("类型"), choices=AdjustmentKind.choices)
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=AdjustmentStatus.choices)
    zone = django_filters.ModelChoiceFilter(
        label=gettext_lazy("功能区"), queryset=Zone.objects.all(), method="with_zone"
    )
    pollutant = django_filters.ModelChoiceFilter(
        label=gettext_lazy("污染物"), queryset=Pollutant.objects.all()
    )

    class Meta:
        model = QuotaAdjustment
        fields = ["kind", "status", "zone", "pollutant"]

    def with_zone(
        self, queryset: QuerySet[QuotaAdjustment], _name: str, zone: Zone
    ) -> QuerySet[QuotaAdjustment]:
        """Quota leaving or entering ``zone``."""
        return queryset.filter(Q(zone=zone) | Q(to_zone=zone))


class AdjustmentListView(ScopedListView):
    model = QuotaAdjustment
    action = "reserve.adjust_view"
    title = gettext_lazy("储备调整")
    export_name = gettext_lazy("储备调整")
    search_fields = ["reason", "from_lot__code", "line__project__name", "proposed_by__username"]
    search_placeholder = gettext_lazy("事由、批次编号、减排项目或拟定人")
    filterset_class = AdjustmentFilter
    columns = model_columns(
        QuotaAdjustment,
        Column(gettext_lazy("编号"), lambda a: f"A{a.pk}", link=True),
        "kind status",
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
        Column(
            gettext_lazy("数量"),
            lambda a: format_quantity(a.amount_grams, a.pollutant.unit, suffix=True),
            css="num",
        ),
        Column(gettext_lazy("调入功能区"), "to_zone.name"),
        "effective_date",
        Column(gettext_lazy("事由"), "reason", css="wrap"),
        "proposed_by proposed_at decided_by decided_at",
        Column(gettext_lazy("记账批次"), lambda a: f"P{a.posting_id}" if a.posting_id else ""),
    )
    related = RELATED
    buttons = [Button("reserve.adjust", gettext_lazy("拟定功能区间调剂"), "reserve:adjustment_zone_transfer")]


@login_required
def adjustment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = access(
        request.user, QuotaAdjustment.objects.select_related(*RELATED), pk, "reserve.adjust_view"
    )
    return render(
        request,
        "reserve/adjustment_detail.html",
        {
            "adjustment": adjustment,
            "title": str(adjustment),
            "can": ADJUSTMENT_ACTIONS.available(principal_of(request.user), adjustment),
            "transitions": history(adjustment),
            "assignment": assignment_context(request.user, adjustment),
        },
    )


@login_required
def zone_transfer(request: HttpRequest) -> HttpResponse:
    """拟定功能区间调剂: the proposal; a second person confirms it on its page."""
    actor = require(request.user, "reserve.adjust")
    initial = {"effective_date": timezone.localdate(), "from_lot": request.GET.get("lot") or None}
    form = ZoneTransferForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        save=lambda data: services.adjustment_zone_transfer(
            actor=actor,
            from_lot=data["from_lot"],
            to_zone=data["to_zone"],
            amount_grams=data["amount_grams"],
            effective_date=data["effective_date"],
            reason=data["reason"],
        ),
        done=lambda adjustment: saved(request, _("已拟定调剂，待另一人确认后记账。"), adjustment),
        title=_("功能区间调剂"),
        cancel_url=reverse("reserve:adjustment_list"),
        intro=_(
            "依据 RES-2：跨功能区使用指标须由生态环境局调剂并说明事由；调入方形成新的储备批次，记录其来源批次。"
            "拟定后须由另一名管理人员或审核人员确认方才记账（四眼原则）。"
        ),
    )


@login_required
@require_POST
def correction(request: HttpRequest, pk: int) -> HttpResponse:
    """拟定更正 of a posting (from its page); a second person confirms it."""
    actor = require(request.user, "reserve.adjust")
    posting = access(request.user, Posting.objects.distinct(), pk, "ledger.view")
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写更正事由"))
        return redirect("ledger:posting_detail", pk=posting.pk)
    try:
        adjustment = services.adjustment_correction(
            actor=actor, posting=posting, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("ledger:posting_detail", pk=posting.pk)
    messages.success(request, _("已拟定更正，待另一人确认后记账。"))
    return redirect(adjustment)


def _load(request: HttpRequest, pk: int, permission: str) -> QuotaAdjustment:
    return access(request.user, QuotaAdjustment.objects.select_related(*RELATED), pk, permission)


# The workflow buttons of an adjustment (confirm and reject: four eyes; withdraw), one URL each.
adjustment_action = action_view(ADJUSTMENT_ACTIONS, _load)
