"""Reads of the quota reserve: what a decision would do, warnings, recovery candidates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Account, Phase, SourceType, Transfer

# The environmental quality assessment, read by the RES-2 ratio and the emission total library.
from totalquota.registry.attainment import attainment_of as attainment_of
from totalquota.registry.attainment import latest_attainment as latest_attainment
from totalquota.registry.models import Pollutant, Zone
from totalquota.registry.rules import rule_value
from totalquota.reserve import rules
from totalquota.reserve.decisions import Candidate, line_hold_state, recovery_candidate
from totalquota.reserve.models import (
    OPEN_STATUSES,
    ApplicationDocument,
    ApplicationLine,
    ApplicationStatus,
    DocumentKind,
    QuotaApplication,
)


def application_documents(application: QuotaApplication) -> QuerySet[ApplicationDocument]:
    """The documents of an application as a reviewer reads them: the basis, the balance plan, then
    the others, each kind in the order uploaded. (The caller has checked access to the application.)"""
    order = Case(
        *(When(kind=kind, then=Value(n)) for n, kind in enumerate(DocumentKind)),
        default=Value(len(DocumentKind)),
    )
    return (
        ApplicationDocument.objects.filter(application=application)
        .select_related("uploaded_by")
        .order_by(order, "uploaded_at", "id")
    )


LEVELS = ["normal", "attention", "warning"]
LEVEL_LABELS = {"normal": _("正常"), "attention": _("关注"), "warning": _("预警")}


def _level_params(on: dt.date) -> dict:
    """The RES-3 warning parameters in force on ``on``."""
    return {
        "coverage_attention": rule_value(rules.COVERAGE_ATTENTION.key, on),
        "coverage_warning": rule_value(rules.COVERAGE_WARNING.key, on),
        "spend_attention": rule_value(rules.SPEND_ATTENTION.key, on),
        "spend_warning": rule_value(rules.SPEND_WARNING.key, on),
    }


def _level(
    balance: int, demand: int, income: int, spending: int, on: dt.date, params: dict | None = None
) -> tuple[str, list[str], dict]:
    """The warning level of a zone and pollutant (RES-3) and the reasons, with the parameters used
    (``params``: those of ``on``, when the caller read them once for many rows).

    Coverage compares the reserve (held quota included: it is kept for that demand) with the
    demand of open applications (held or not yet held)."""
    params = params or _level_params(on)
    level, reasons = 0, []
    if demand > 0:
        # balance / demand below the line, in integers: balance x 10000 < demand x bp
        if balance * 10_000 < demand * params["coverage_warning"].value:
            level = max(level, 2)
            reasons.append(gettext("可用储备不足以覆盖待批需求"))
        elif balance * 10_000 < demand * params["coverage_attention"].value:
            level = max(level, 1)
            reasons.append(gettext("可用储备接近待批需求"))
    if spending > 0:
        if income == 0 or spending * 10_000 > income * params["spend_warning"].value:
            level = max(level, 2)
            reasons.append(gettext("期间支出明显超过收入"))
        elif spending * 10_000 > income * params["spend_attention"].value:
            level = max(level, 1)
            reasons.append(gettext("期间支出超过收入"))
    return LEVELS[level], reasons, {k: v.snapshot() for k, v in params.items()}


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def shortfalls(zone: Any = None) -> dict[tuple[int, int], int]:
    """Deductions of open applications that are not held (the zone could not cover them)."""
    result: dict[tuple[int, int], int] = {}
    lines = ApplicationLine.objects.filter(
        application__status__in=OPEN_STATUSES, deduction_grams__gt=0
    ).select_related("application", "hold")
    if zone is not None:
        lines = lines.filter(application__zone=zone)
    for line in lines:
        if line_hold_state(line) != "open":
            key = (line.application.zone_id, line.pollutant_id)
            result[key] = result.get(key, 0) + line.deduction_grams
    return result


@dataclass
class ZoneWarning:
    zone: Zone
    pollutant: Pollutant
    balance: int
    available: int
    demand: int
    income: int
    spending: int
    level: str
    reasons: list[str] = field(default_factory=list)
    snapshot: dict = field(default_factory=dict)

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])


def _grams_by_lot_zone(transfers: QuerySet[Transfer], side: str) -> dict[tuple[int, int], int]:
    """Grams of ``transfers`` by (zone, pollutant) of the lot on ``side`` (``credit_lot_zone``:
    into a zone's lots, ``debit_lot_zone``: out of them); transfers with no lot there are left out."""
    return {
        (zone, pollutant): grams
        for zone, pollutant, grams in transfers.filter(**{f"{side}__isnull": False})
        .values(side, "pollutant")
        .annotate(grams=Sum("amount_grams"))
        .values_list(side, "pollutant", "grams")
    }


def zone_warnings(
    start: dt.date, end: dt.date, *, zones: Any = None, only_active: bool = False
) -> list[ZoneWarning]:
    """Per zone and pollutant over a period: the reserve at its end, the demand of applications open
    at its end, income and spending during it, and the warning level (RES-3)."""
    today = timezone.localdate()
    current = end >= today
    zones = list(zones if zones is not None else Zone.objects.filter(is_active=True))
    pollutants = list(Pollutant.objects.all())
    posted = Transfer.objects.filter(
        phase__in=(Phase.POSTED, Phase.POST_PENDING), effective_date__gte=start, effective_date__lte=end
    )
    income = _grams_by_lot_zone(posted, "credit_lot_zone")
    spending = _grams_by_lot_zone(posted, "debit_lot_zone")
    matrix = ledger_selectors.zone_matrix(zones) if current else {}
    holds_at_end: dict[tuple[int, int], int] = {}
    if not current:
        cut = _end_of(end)
        open_then = Transfer.objects.filter(
            phase=Phase.PENDING, created_at__lt=cut, debit_lot_zone__isnull=False
        ).filter(Q(resolution__isnull=True) | Q(resolution__created_at__gte=cut))
        holds_at_end = {
            (z, p): s
            for z, p, s in open_then.values("debit_lot_zone", "pollutant")
            .annotate(s=Sum("amount_grams"))
            .values_list("debit_lot_zone", "pollutant", "s")
        }
    short = shortfalls() if current else {}
    params = _level_params(min(end, today))  # the same parameters for every row: read once
    result = []
    for zone in zones:
        past = ledger_selectors.zone_balance_as_of(zone, end) if not current else {}
        for pollutant in pollutants:
            key = (zone.pk, pollutant.pk)
            if current:
                view = matrix.get(key, ledger_selectors.BalanceView(0, 0, 0))
                balance, held = view.posted, view.held_out
            else:
                balance, held = past.get(pollutant.pk, 0), holds_at_end.get(key, 0)
            available = balance - held
            demand = held + short.get(key, 0)
            inc, spent = income.get(key, 0), spending.get(key, 0)
            if only_active and not (balance or demand or inc or spent):
                continue
            level, reasons, snap = _level(balance, demand, inc, spent, min(end, today), params)
            result.append(
                ZoneWarning(zone, pollutant, balance, available, demand, inc, spent, level, reasons, snap)
            )
    return result


@dataclass
class LinePreview:
    """What approving one line would do to its zone's reserve (for the reviewer)."""

    line: ApplicationLine
    hold_state: str
    zone_balance: int
    zone_available: int
    balance_after: int
    other_demand: int
    level_after: str
    reasons: list[str]

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level_after])


def decision_preview(application: QuotaApplication) -> list[LinePreview]:
    today = timezone.localdate()
    short = shortfalls(application.zone)
    result = []
    for line in application.lines.select_related("pollutant", "hold"):
        view = ledger_selectors.zone_balance(application.zone, line.pollutant)
        state = line_hold_state(line)
        held_here = line.deduction_grams if state == "open" else 0
        other = (
            view.held_out
            - held_here
            + short.get((application.zone_id, line.pollutant_id), 0)
            - (line.deduction_grams if state == "missing" else 0)
        )
        after = view.posted - line.deduction_grams
        level, reasons, _snap = _level(after, max(other, 0), 0, 0, today)
        result.append(
            LinePreview(line, state, view.posted, view.available, after, max(other, 0), level, reasons)
        )
    return result


def recovery_candidates(applications: Any = None, *, today: dt.date | None = None) -> list[Candidate]:
    """Lines of approved, operating projects whose verified actual emission is below the line (RES-4 (2))."""
    today = today or timezone.localdate()
    lines = ApplicationLine.objects.filter(
        application__status=ApplicationStatus.APPROVED,
        application__operation_started_on__isnull=False,
        permitted_env_grams__gt=0,
    ).select_related("application__enterprise", "pollutant", "allocation")
    if applications is not None:
        lines = lines.filter(application__in=applications)
    result = []
    for line in lines:
        candidate = recovery_candidate(line, today=today)
        if candidate is not None:
            result.append(candidate)
    return result


def allocated_from_reductions(zone: Any, pollutant: Any, start: dt.date, end: dt.date) -> int:
    """Grams of ``pollutant`` reduced by ``zone``'s projects that went into construction projects'
    allocations between ``start`` and ``end`` (net of corrections), by the ledger's origins. The
    reduction bulletin (RED-5) counts them as used."""
    from totalquota.ledger.models import AccountKind, TransferOrigin
    from totalquota.reductions.models import ReductionLine

    refs = [
        f"reductions.reductionline:{pk}"
        for pk in ReductionLine.objects.filter(project__zone=zone, pollutant=pollutant).values_list(
            "pk", flat=True
        )
    ]
    if not refs:
        return 0
    rows = TransferOrigin.objects.filter(
        source_type="reduction_line",
        source_ref__in=refs,
        transfer__phase__in=(Phase.POSTED, Phase.POST_PENDING),
        transfer__effective_date__gte=start,
        transfer__effective_date__lte=end,
    )
    into = (
        rows.filter(transfer__credit__kind=AccountKind.ALLOCATION).aggregate(s=Sum("amount_grams"))["s"] or 0
    )
    back = (
        rows.filter(transfer__debit__kind=AccountKind.ALLOCATION).aggregate(s=Sum("amount_grams"))["s"] or 0
    )
    return into - back


def line_in_reserve(line_id: int) -> bool:
    """Whether a reduction line has entered the reserve already (its lot exists, RES-1)."""
    return Account.objects.filter(
        source_type=SourceType.REDUCTION_LINE, source_ref=f"reductions.reductionline:{line_id}"
    ).exists()


def plant_quota_of(enterprise: Any, year: int) -> dict[int, int]:
    """The whole-plant permitted 外排环境量 of ``enterprise`` by pollutant id, as its applications
    approved by the end of ``year`` state it: each pollutant from the latest approval naming it (an
    application states the whole plant, so the latest one supersedes the earlier ones). The
    emission total library shows it on the unit's record (registered in ``ReserveConfig.ready``)."""
    lines = (
        ApplicationLine.objects.filter(
            application__enterprise=enterprise,
            application__status=ApplicationStatus.APPROVED,
            application__decided_at__year__lte=year,
        )
        .order_by("pollutant_id", "-application__decided_at", "-application_id")
        .values_list("pollutant_id", "plant_env_grams")
    )
    found: dict[int, int] = {}
    for pollutant_id, grams in lines:
        found.setdefault(pollutant_id, grams)
    return found
