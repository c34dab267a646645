"""Reads of the quota reserve: what a decision would do, warnings, recovery candidates."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
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
from totalquota.reserve.decisions import Candidate, line_hold, recovery_candidate
from totalquota.reserve.models import (
    OPEN_STATUSES,
    ApplicationDocument,
    ApplicationLine,
    ApplicationStatus,
    DocumentKind,
    IntakeItem,
    IntakeRun,
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


def intake_items(run: IntakeRun) -> QuerySet[IntakeItem]:
    """The items of an intake run as its page and the API list them (zone, pollutant order), with
    what they show joined. (The caller has checked access to the run.)"""
    return run.items.select_related("line__project", "zone", "pollutant", "posting")


LEVELS = ["normal", "attention", "warning"]
LEVEL_LABELS = {"normal": _("正常"), "attention": _("关注"), "warning": _("预警")}


def _params(on: dt.date) -> dict[str, Any]:
    """The RES-3 warning parameters in force on ``on``."""
    keys = {
        "coverage_attention": rules.COVERAGE_ATTENTION,
        "coverage_warning": rules.COVERAGE_WARNING,
        "spend_attention": rules.SPEND_ATTENTION,
        "spend_warning": rules.SPEND_WARNING,
        "cover_attention": rules.COVER_ATTENTION,
        "cover_warning": rules.COVER_WARNING,
        "drawdown_quarters": rules.DRAWDOWN_QUARTERS,
    }
    return {name: rule_value(key.key, on) for name, key in keys.items()}


def drawdown_quarters(on: dt.date) -> int:
    """How many whole quarters the drawdown is averaged over on ``on`` (RES-3)."""
    return int(rule_value(rules.DRAWDOWN_QUARTERS.key, on).value)


def _level(
    balance: int,
    demand: int,
    income: int,
    spending: int,
    on: dt.date,
    *,
    forecast: Forecast | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[str, list[str], dict]:
    """The warning level of a zone and pollutant (RES-3) and the reasons, with the parameters used.

    Coverage compares the reserve (held quota included: it is kept for that demand) with the
    demand of open applications (held or not yet held). With a ``forecast``, the months of cover
    left after that demand (at the drawdown of recent quarters) are held against the cover lines
    too; no drawdown means unlimited cover, which raises nothing."""
    params = params or _params(on)
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
    if forecast is not None and forecast.months_of_cover is not None:
        text = gettext("按近 {n} 个季度月均消耗，储备预计仅可保障 {months} 个月").format(
            n=forecast.quarters, months=forecast.months_of_cover
        )
        if forecast.below(params["cover_warning"].value):
            level = max(level, 2)
            reasons.append(text)
        elif forecast.below(params["cover_attention"].value):
            level = max(level, 1)
            reasons.append(text)
    return LEVELS[level], reasons, {k: v.snapshot() for k, v in params.items()}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months on (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def drawdown_window(on: dt.date, quarters: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the ``quarters`` whole calendar quarters before the quarter of ``on``."""
    this_quarter = dt.date(on.year, (on.month - 1) // 3 * 3 + 1, 1)
    return add_months(this_quarter, -3 * quarters), this_quarter - dt.timedelta(days=1)


@dataclass(frozen=True)
class Forecast:
    """How long a zone's reserve of a pollutant lasts (RES-3): what is left after the pending
    demand, against the average monthly spending of the last ``quarters`` whole quarters.

    ``months_of_cover`` has one decimal, rounded down (``None``: no drawdown, cover unlimited);
    ``exhausted_on`` is the day the rest runs out at that pace (the as-of day itself when nothing
    is left; ``None`` with no drawdown)."""

    on: dt.date
    quarters: int
    remaining_grams: int
    drawdown_per_month_grams: int

    @property
    def months_of_cover(self) -> Decimal | None:
        if self.drawdown_per_month_grams <= 0:
            return None
        tenths = max(self.remaining_grams, 0) * 10 // self.drawdown_per_month_grams
        return Decimal(tenths).scaleb(-1)

    @property
    def exhausted_on(self) -> dt.date | None:
        per_month = self.drawdown_per_month_grams
        if per_month <= 0:
            return None
        rest = max(self.remaining_grams, 0)
        whole, part = divmod(rest, per_month)
        start, after = add_months(self.on, whole), add_months(self.on, whole + 1)
        return start + dt.timedelta(days=(after - start).days * part // per_month)

    def below(self, months: int) -> bool:
        """Whether the cover is shorter than ``months`` (exactly, in grams: rest < months x drawdown)."""
        return self.drawdown_per_month_grams > 0 and max(self.remaining_grams, 0) < (
            months * self.drawdown_per_month_grams
        )


def forecast_of(remaining: int, spent_in_window: int, on: dt.date, quarters: int) -> Forecast:
    """The :class:`Forecast` from the grams left after pending demand and the grams spent in the
    window of :func:`drawdown_window` (the monthly drawdown is rounded down to the gram)."""
    return Forecast(on, quarters, remaining, spent_in_window // (3 * quarters) if quarters > 0 else 0)


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def shortfalls(zone: Any = None) -> dict[tuple[int, int], int]:
    """Deductions of open applications that are not held (the zone could not cover them), the
    unheld part of a line held in part included."""
    result: dict[tuple[int, int], int] = {}
    lines = ApplicationLine.objects.filter(
        application__status__in=OPEN_STATUSES, deduction_grams__gt=0
    ).select_related("application", "hold")
    if zone is not None:
        lines = lines.filter(application__zone=zone)
    for line in lines:
        state, held = line_hold(line)
        if state != "open":
            key = (line.application.zone_id, line.pollutant_id)
            result[key] = result.get(key, 0) + line.deduction_grams - held
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
    forecast: Forecast | None = None

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])

    @property
    def drawdown_per_month_grams(self) -> int:
        return self.forecast.drawdown_per_month_grams if self.forecast else 0

    @property
    def months_of_cover(self) -> Decimal | None:
        return self.forecast.months_of_cover if self.forecast else None

    @property
    def exhausted_on(self) -> dt.date | None:
        return self.forecast.exhausted_on if self.forecast else None

    @property
    def needs_action(self) -> bool:
        return self.level != "normal"


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
    start: dt.date,
    end: dt.date,
    *,
    zones: Any = None,
    only_active: bool = False,
    known_at: dt.datetime | None = None,
) -> list[ZoneWarning]:
    """Per zone and pollutant over a period: the reserve at its end, the demand of applications open
    at its end, income and spending during it, the forecast (months of cover left after that
    demand at the drawdown of the last whole quarters before the period's end, RES-3) and the
    warning level.

    With ``known_at`` (the warning bulletin), every figure is the ledger as it stood at that
    moment: transfers recorded by then (income, spending, drawdown), the reserve at the end of the
    period from them, and as demand the holds open at the earlier of the period's end and
    ``known_at`` (the unheld shortfalls of open applications are today's state, so they are left
    out, as for a past period); "today" is the day of ``known_at``."""
    today = timezone.localdate() if known_at is None else timezone.localtime(known_at).date()
    current = end >= today and known_at is None
    on = min(end, today)
    params = _params(on)
    quarters = params["drawdown_quarters"].value
    zones = list(zones if zones is not None else Zone.objects.filter(is_active=True))
    pollutants = list(Pollutant.objects.all())
    posted = Transfer.objects.filter(phase__in=(Phase.POSTED, Phase.POST_PENDING))
    if known_at is not None:
        posted = posted.filter(created_at__lte=known_at)
    in_period = posted.filter(effective_date__gte=start, effective_date__lte=end)
    income = _grams_by_lot_zone(in_period, "credit_lot_zone")
    spending = _grams_by_lot_zone(in_period, "debit_lot_zone")
    first, last = drawdown_window(on, quarters)
    drawn = _grams_by_lot_zone(
        posted.filter(effective_date__gte=first, effective_date__lte=last), "debit_lot_zone"
    )
    matrix = ledger_selectors.zone_matrix(zones) if current else {}
    holds_at_end: dict[tuple[int, int], int] = {}
    if not current:
        cut = _end_of(end) if known_at is None else min(_end_of(end), known_at)
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
    result = []
    for zone in zones:
        past = ledger_selectors.zone_balance_as_of(zone, end, known_at=known_at) if not current else {}
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
            forecast = forecast_of(balance - demand, drawn.get(key, 0), on, quarters)
            level, reasons, snap = _level(balance, demand, inc, spent, on, forecast=forecast, params=params)
            result.append(
                ZoneWarning(
                    zone, pollutant, balance, available, demand, inc, spent, level, reasons, snap, forecast
                )
            )
    return result


def needing_action_first(rows: list[ZoneWarning]) -> list[ZoneWarning]:
    """``rows`` as the warnings page leads with them: the zones at attention or warning first, the
    shortest cover first (unlimited cover after any figure; warning before attention at equal
    cover), then the normal ones in their zone and pollutant order."""

    def key(row: ZoneWarning) -> tuple:
        cover = row.months_of_cover
        return (
            not row.needs_action,
            row.needs_action and cover is None,
            cover if row.needs_action and cover is not None else 0,
            -LEVELS.index(row.level),
        )

    return sorted(rows, key=key)


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
        state, held_here = line_hold(line)
        other = (
            view.held_out
            - held_here
            + short.get((application.zone_id, line.pollutant_id), 0)
            - (line.deduction_grams - held_here if state in ("missing", "partial") else 0)
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


def allocated_from_reductions(
    zone: Any, pollutant: Any, start: dt.date, end: dt.date, *, known_at: dt.datetime | None = None
) -> int:
    """Grams of ``pollutant`` reduced by ``zone``'s projects that went into construction projects'
    allocations between ``start`` and ``end`` (net of corrections), by the ledger's origins; with
    ``known_at``, from the transfers recorded by then only. The reduction bulletin (RED-5) counts
    them as used."""
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
    if known_at is not None:
        rows = rows.filter(transfer__created_at__lte=known_at)
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
