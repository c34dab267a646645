"""Ledger pages: the reserve overview, accounts and lots, transfers, postings and the reconcile
runs (台账对账). Zone transfers and corrections are proposed on the reserve's adjustment pages
(four eyes) and only read here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, in_zones, may, require
from totalquota.common.xlsx import chinese_date, export_filename, write_workbook, xlsx_response
from totalquota.ledger import selectors, services
from totalquota.ledger.models import (
    Account,
    AccountKind,
    Phase,
    Posting,
    ReconcileRun,
    ReconcileTrigger,
    SourceType,
    Transfer,
    TransferCode,
)
from totalquota.lib.units import format_quantity, grams_to_decimal
from totalquota.registry.models import Pollutant, Zone
from totalquota.web.lists import Button, Column, ScopedListView, export_heading, model_columns


def _as_of(request: HttpRequest) -> dt.date | None:
    text = request.GET.get("as_of", "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        messages.error(request, _("日期格式应为 YYYY-MM-DD"))
        return None


def _cell(cell: selectors.MatrixCell) -> dict[str, Any]:
    return {
        "pollutant": cell.pollutant,
        "posted": cell.posted,
        "held": cell.held,
        "available": cell.available,
    }


@login_required
def overview(request: HttpRequest) -> HttpResponseBase:
    """储备余额: every zone x pollutant, now or as of a date; a chart of what is available."""
    principal = require(request.user, "ledger.view")
    if principal.enterprise_id is not None:
        return redirect("ledger:account_list")
    as_of = _as_of(request)
    matrix = selectors.balance_matrix(
        in_zones(principal, Zone.objects.filter(is_active=True)), Pollutant.objects.all(), as_of=as_of
    )
    pollutants = matrix.pollutants
    totals = matrix.totals()
    if request.GET.get("export") == "xlsx":
        headers = [_("功能区")] + [f"{p.name}（{p.display_unit}）" for p in pollutants]
        data: list[list[Any]] = [
            [r.zone.name] + [grams_to_decimal(c.posted, c.pollutant.unit) for c in r.cells]
            for r in matrix.rows
        ]
        data.append([_("合计")] + [grams_to_decimal(t.posted, t.pollutant.unit) for t in totals])
        title = _("储备余额")
        on = as_of or timezone.localdate()
        covers = _("截至 %(day)s") % {"day": chinese_date(on)}
        return xlsx_response(
            write_workbook([(title, headers, data)], heading=export_heading(request.user, title, covers)),
            export_filename(title, on),
        )
    chart_pollutant = next(
        (p for p in pollutants if p.code == request.GET.get("chart", "VOCS")),
        pollutants[0] if pollutants else None,
    )
    chart = None
    if chart_pollutant is not None:
        column = matrix.column(chart_pollutant)
        unit = chart_pollutant.unit
        chart = {
            "zones": [c.zone.name for c in column],
            "posted": [float(grams_to_decimal(c.posted, unit)) for c in column],
            "available": [None if as_of else float(grams_to_decimal(c.available or 0, unit)) for c in column],
            "unit": chart_pollutant.display_unit,
            "title": chart_pollutant.display_name,
        }
    return render(
        request,
        "ledger/overview.html",
        {
            "title": _("储备余额"),
            "rows": [{"zone": r.zone, "cells": [_cell(c) for c in r.cells]} for r in matrix.rows],
            "pollutants": pollutants,
            "totals": [
                {"pollutant": t.pollutant, "posted": t.posted, "available": t.available} for t in totals
            ],
            "as_of": as_of,
            "chart": chart,
            "chart_pollutant": chart_pollutant,
        },
    )


class AccountFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=gettext_lazy("类别"), choices=AccountKind.choices)
    zone = django_filters.ModelChoiceFilter(label=gettext_lazy("功能区"), queryset=Zone.objects.all())
    pollutant = django_filters.ModelChoiceFilter(
        label=gettext_lazy("污染物"), queryset=Pollutant.objects.all()
    )
    source_type = django_filters.ChoiceFilter(label=gettext_lazy("来源"), choices=SourceType.choices)
    open = django_filters.BooleanFilter(
        label=gettext_lazy("未关闭"), field_name="closed_at", lookup_expr="isnull"
    )

    class Meta:
        model = Account
        fields = ["kind", "zone", "pollutant", "source_type"]


def _qty(account_or_pollutant: Any, grams: int) -> str:
    pollutant = getattr(account_or_pollutant, "pollutant", account_or_pollutant)
    return format_quantity(grams, pollutant.unit)


class AccountListView(ScopedListView):
    model = Account
    action = "ledger.view"
    title = gettext_lazy("储备批次与指标账户")
    search_fields = ["code", "label", "source_label", "source_ref", "holder_enterprise__name"]
    search_placeholder = gettext_lazy("编号、来源、持有单位")
    filterset_class = AccountFilter
    export_name = gettext_lazy("指标账户")
    columns = model_columns(
        Account,
        Column(gettext_lazy("编号"), "code", link=True),
        "kind",
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
        "holder_enterprise",
        Column(gettext_lazy("来源"), "source_type"),
        Column(gettext_lazy("来源说明"), "source_label", css="wrap"),
        "opened_on",
        Column(gettext_lazy("余额"), lambda a: _qty(a, a.balance.posted), css="num"),
        Column(gettext_lazy("预留"), lambda a: _qty(a, a.balance.debits_pending), css="num"),
        Column(gettext_lazy("可用"), lambda a: _qty(a, a.balance.available), css="num"),
        Column(gettext_lazy("单位"), "pollutant.display_unit"),
        Column(gettext_lazy("已关闭"), lambda a: a.closed_at is not None),
    )

    def base_queryset(self) -> QuerySet[Account]:
        qs = selectors.accounts_in_scope(Account.objects.all())
        if self.request.GET.get("kind") is None and not self.request.GET.get("q"):
            qs = qs.filter(kind__in=[AccountKind.LOT, AccountKind.ALLOCATION])
        return qs

    buttons = [
        Button(
            # The proposal page lives with the reserve's adjustments (four eyes before any posting).
            "reserve.adjust",
            gettext_lazy("功能区间调剂"),
            "reserve:adjustment_zone_transfer",
            icon="bi-arrow-left-right",
            style="outline-primary",
        )
    ]


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = access(
        request.user,
        Account.objects.select_related("zone", "pollutant", "holder_enterprise"),
        pk,
        "ledger.view",
    )
    # The account is in scope, so all its transfers are shown (a zone transfer's other side included).
    transfers = (
        Transfer.objects.filter(Q(debit=account) | Q(credit=account))
        .select_related("debit", "credit", "posting")
        .order_by("-effective_date", "-id")[:200]
    )
    trace = (
        selectors.provenance(account) if account.kind in (AccountKind.LOT, AccountKind.ALLOCATION) else None
    )
    uses = selectors.lot_uses(account)
    return render(
        request,
        "ledger/account_detail.html",
        {
            "title": account.code,
            "account": account,
            "balance": selectors.account_balance(account),
            "transfers": transfers,
            "trace": trace,
            "uses": uses,
            "can_transfer": may(request.user, "reserve.adjust") and account.kind == AccountKind.LOT,
        },
    )


class TransferFilter(django_filters.FilterSet):
    code = django_filters.ChoiceFilter(label=gettext_lazy("业务类型"), choices=TransferCode.choices)
    phase = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=Phase.choices)
    pollutant = django_filters.ModelChoiceFilter(
        label=gettext_lazy("污染物"), queryset=Pollutant.objects.all()
    )
    since = django_filters.DateFilter(
        label=gettext_lazy("生效日起"),
        field_name="effective_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=gettext_lazy("生效日止"),
        field_name="effective_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Transfer
        fields = ["code", "phase", "pollutant"]


class TransferListView(ScopedListView):
    model = Transfer
    action = "ledger.view"
    title = gettext_lazy("划转流水")
    search_fields = [
        "debit__code",
        "credit__code",
        "posting__reason",
        "posting__idempotency_key",
        "posting__object_id",
    ]
    search_placeholder = gettext_lazy("账户编号、事由、业务编号")
    filterset_class = TransferFilter
    export_name = gettext_lazy("划转记录")
    paginate_by = 50
    columns = model_columns(
        Transfer,
        Column(gettext_lazy("批次"), lambda t: f"P{t.posting_id}", link=True),
        "effective_date code phase",
        Column(gettext_lazy("转出账户"), "debit.code"),
        Column(gettext_lazy("转入账户"), "credit.code"),
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
        Column(gettext_lazy("数量"), lambda t: _qty(t.pollutant, t.amount_grams), css="num"),
        Column(gettext_lazy("单位"), "pollutant.display_unit"),
        Column(gettext_lazy("事由"), "posting.reason", css="wrap"),
        "posting.clause_id created_at",
    )

    def base_queryset(self) -> QuerySet[Transfer]:
        return Transfer.objects.select_related("debit", "credit", "pollutant", "posting").order_by("-id")

    def filtered_queryset(self) -> QuerySet:
        return super().filtered_queryset().distinct()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = [(t.posting, cells) for t, cells in context["rows"]]
        return context


@login_required
def posting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    posting = access(
        request.user,
        Posting.objects.select_related("actor", "hold", "reverses").distinct(),
        pk,
        "ledger.view",
    )
    transfers = posting.transfers.select_related("debit", "credit", "pollutant").prefetch_related(
        "origins__root_lot"
    )
    state = selectors.hold_state(posting) if posting.operation == "hold" else None
    can_correct = (
        may(request.user, "reserve.adjust")
        and posting.operation not in ("hold", "reverse", "hold_void", "hold_expire")
        and not Posting.objects.filter(reverses=posting).exists()
    )
    return render(
        request,
        "ledger/posting_detail.html",
        {
            "title": f"P{posting.pk}",
            "posting": posting,
            "transfers": transfers,
            "hold_state": state,
            "can_correct": can_correct,
            "reversed_by": Posting.objects.filter(reverses=posting).first(),
        },
    )


# --- 台账对账: the reconcile runs (the bureau reads them; an administrator starts one) ------------


class ReconcileRunFilter(django_filters.FilterSet):
    ok = django_filters.BooleanFilter(label=gettext_lazy("对账通过"))
    trigger = django_filters.ChoiceFilter(label=gettext_lazy("发起方式"), choices=ReconcileTrigger.choices)
    since = django_filters.DateFilter(
        label=gettext_lazy("开始日起"),
        field_name="started_at__date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=gettext_lazy("开始日止"),
        field_name="started_at__date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = ReconcileRun
        fields = ["ok", "trigger"]


class ReconcileRunListView(ScopedListView):
    """Every reconcile run, newest first, with the latest one's status above the list and, for an
    administrator, the button that runs one now."""

    model = ReconcileRun
    action = "ledger.reconcile_view"
    title = gettext_lazy("台账对账")
    search_fields = ["triggered_by__username", "triggered_by__display_name", "error"]
    search_placeholder = gettext_lazy("发起人、运行错误")
    filterset_class = ReconcileRunFilter
    export_name = gettext_lazy("台账对账记录")
    related = ("triggered_by",)
    ordering = ("-started_at", "-id")
    columns = model_columns(
        ReconcileRun,
        Column(gettext_lazy("记录"), lambda r: f"R{r.pk}", link=True),
        Column(gettext_lazy("结果"), "status_label"),
        "started_at finished_at trigger",
        Column(gettext_lazy("发起人"), lambda r: str(r.triggered_by) if r.triggered_by else ""),
        "accounts_checked transfers_checked audit_events_checked problem_count",
    )
    template_name = "ledger/reconcile_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["latest"] = (
            ReconcileRun.objects.select_related("triggered_by").order_by("-started_at", "-id").first()
        )
        context["can_run"] = may(self.request.user, "ledger.reconcile")
        return context


@login_required
def reconcile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = access(
        request.user, ReconcileRun.objects.select_related("triggered_by"), pk, "ledger.reconcile_view"
    )
    return render(
        request,
        "ledger/reconcile_detail.html",
        {"title": _("台账对账 R%(n)s") % {"n": run.pk}, "run": run},
    )


@login_required
@require_POST
def reconcile_run(request: HttpRequest) -> HttpResponse:
    """The "run now" button (an administrator): the run is stored and its page shown."""
    principal = require(request.user, "ledger.reconcile")
    run = services.run_reconcile(by=principal)
    if run.ok:
        messages.success(request, _("对账通过：余额、汇总、日变动、来源与审计链均与流水一致"))
    else:
        messages.error(request, _("对账未通过：%(n)s 处不符") % {"n": run.problem_count})
    return redirect("ledger:reconcile_detail", pk=run.pk)
