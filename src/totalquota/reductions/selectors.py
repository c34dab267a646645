"""Reads on the reduction library, for pages, the API, the bulletin and the reserve intake.

The reserve area reads approved reductions through :func:`lines_eligible_for_intake` and
:func:`line_usage`; the bulletin reads what was used through :func:`usage_totals` and asks the
reserve (through :data:`RESERVE_USE_PROVIDERS`) how much it allocated.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import restrict
from totalquota.reductions.accounting import DOCUMENT_SOURCES, METHODS
from totalquota.reductions.models import (
    EVIDENCE_FOLDER,
    EXCLUDING_KINDS,
    UNDECLARED,
    DeclarationRound,
    Evidence,
    EvidenceKind,
    LineUsage,
    ProjectStatus,
    ReductionLine,
    ReductionProject,
    UsageKind,
)
from totalquota.reductions.rules import (
    COMPUTED_EVIDENCE,
    DOCUMENT_EVIDENCE,
    REQUIRED_EVIDENCE,
    evidence_kinds,
    previous_year_deadline,
)
from totalquota.registry.rules import rule_value

# --- declaration completeness and evidence ------------------------------------------------------
REQUIRED_FIELDS = [
    ("address", "项目地址"),
    ("builder", "建设单位"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("start_date", "开工时间"),
    ("completion_date", "竣工时间"),
    ("investment_yuan", "资金投入"),
    ("operating_status", "减排运行情况"),
]


def missing_information(project: ReductionProject, *, today: dt.date) -> list[str]:
    """What RED-3 (1)-(2) still needs before the project can be declared, as sentences."""
    missing = [f"{label}未填写" for name, label in REQUIRED_FIELDS if getattr(project, name) in (None, "")]
    if project.completion_date and project.completion_date > today:
        missing.append(f"竣工时间 {project.completion_date} 晚于今天：项目竣工后方可申报")
    if not project.lines.exists():
        missing.append("至少填写一项污染物的减排量")
    return missing


@dataclass(frozen=True)
class Requirement:
    """One kind of evidence a project needs, why, and whether it is there."""

    kind: str
    label: str
    reason: str
    satisfied: bool


def evidence_requirements(project: ReductionProject, *, on: dt.date) -> tuple[list[Requirement], list[dict]]:
    """The evidence ``project`` needs on ``on`` (rule data, RED-2/RED-3) and the rules used."""
    have = set(project.evidence.values_list("kind", flat=True))
    reasons: dict[str, list[str]] = defaultdict(list)
    rules: list[dict] = []
    every = rule_value(REQUIRED_EVIDENCE.key, on)
    rules.append(every.snapshot())
    for kind in evidence_kinds(every):
        reasons[kind].append(gettext("每个项目须具备（{clause}）").format(clause=every.clause_id))
    lines = list(project.lines.select_related("pollutant"))
    if any(line.method != "documented" for line in lines):
        computed = rule_value(COMPUTED_EVIDENCE.key, on)
        rules.append(computed.snapshot())
        for kind in evidence_kinds(computed):
            reasons[kind].append(gettext("按公式核算（{clause}）").format(clause=computed.clause_id))
    for line in lines:
        if line.method == "documented":
            source = str(line.inputs.get("source", ""))
            document_kind = DOCUMENT_EVIDENCE.get(source)
            if document_kind:
                reasons[document_kind].append(
                    gettext("{pollutant}减排量取自{source}（RED-2）").format(
                        pollutant=line.pollutant, source=DOCUMENT_SOURCES.get(source, source)
                    )
                )
    labels = dict(EvidenceKind.choices)
    result = [
        Requirement(kind, str(labels.get(kind, kind)), gettext("；").join(why), kind in have)
        for kind, why in reasons.items()
        if kind in labels
    ]
    return result, rules


# --- rounds, deadlines and overdue projects ------------------------------------------------------
# RED-3 has two meanings, kept apart: a project's completion date says which year's reductions it
# counts toward (``year``; a year's projects close at the end of February of the next year, rule
# data), and a project is declared in the round open on the day of declaration. A project declared
# while no round is open belongs to the next round (once the bureau has opened it); one declared
# after its year has closed is a late declaration (逾期申报). Overdue (逾期未报送) means its
# round's deadline has passed while it still owes its submission: never on the day it is declared.
def open_round(day: dt.date) -> DeclarationRound | None:
    """The round open on ``day`` (opens on or before it, deadline on or after it); the one closing
    first when rounds overlap."""
    return (
        DeclarationRound.objects.filter(opens_on__lte=day, deadline__gte=day)
        .order_by("deadline", "opens_on", "pk")
        .first()
    )


def declaration_round(day: dt.date) -> DeclarationRound | None:
    """The round a project declared on ``day`` belongs to: the round open that day, else the next
    round to open (``None`` until the bureau opens one)."""
    found = open_round(day)
    if found is not None:
        return found
    return DeclarationRound.objects.filter(opens_on__gt=day).order_by("opens_on", "pk").first()


def year_closes_on(year: int) -> dt.date:
    """The last day to declare projects completed in ``year`` (RED-3, rule data)."""
    return previous_year_deadline(year)[0]


def is_late_declaration(completion: dt.date | None, declared_on: dt.date | None) -> bool:
    """Whether a project completed on ``completion`` and declared on ``declared_on`` was declared
    after its year had closed (RED-3)."""
    if completion is None or declared_on is None:
        return False
    return declared_on > year_closes_on(completion.year)


def due_date(project: ReductionProject) -> dt.date | None:
    """By when ``project`` must be submitted: its round's deadline (RED-3); ``None`` while it waits
    for the next round."""
    return project.round.deadline if project.round_id is not None else None


def overdue_q(today: dt.date) -> Q:
    """Projects still owing their submission whose round's deadline is before ``today`` (the
    deadline day itself is still in time)."""
    return Q(status__in=UNDECLARED, round__deadline__lt=today)


def overdue_projects(principal: Any, *, today: dt.date) -> QuerySet[ReductionProject]:
    qs = restrict(principal, ReductionProject.objects.select_related("zone", "enterprise"), "reductions.view")
    return qs.filter(overdue_q(today))


def current_rounds(today: dt.date) -> list[DeclarationRound]:
    """Rounds open on ``today`` (between their opening date and deadline)."""
    return list(
        DeclarationRound.objects.filter(opens_on__lte=today, deadline__gte=today).order_by("deadline")
    )


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _quarter_start(year: int, quarter: int) -> dt.date:
    return dt.date(year, 3 * quarter - 2, 1)


def _shift(year: int, quarter: int, by: int) -> tuple[int, int]:
    index = year * 4 + quarter - 1 + by
    return index // 4, index % 4 + 1


def round_defaults(year: int, quarter: int) -> dict[str, Any]:
    """The default dates of the round of ``year`` Q``quarter`` (RED-3, "原则上每季度集中申报一次"):
    open for the whole quarter, for the previous quarter's completions; the first quarter's round
    closes the previous year, so it ends on that year's closing day (rule data, end of February)."""
    opens = _quarter_start(year, quarter)
    next_year, next_quarter = _shift(year, quarter, 1)
    deadline = _quarter_start(next_year, next_quarter) - dt.timedelta(days=1)
    covers_to = opens - dt.timedelta(days=1)
    covers_from = _quarter_start(*quarter_of(covers_to))
    deadline = min(deadline, year_closes_on(covers_to.year))
    return {
        "year": year,
        "quarter": quarter,
        "title": f"{year} 年第 {quarter} 季度减排项目申报",
        "opens_on": opens,
        "deadline": deadline,
        "covers_from": covers_from,
        "covers_to": covers_to,
        "note": "原则上每季度集中申报一次（RED-3）",
    }


def next_round_defaults(today: dt.date) -> dict[str, Any]:
    """The next round the bureau would open on ``today``: the quarter after the latest round, or
    the current quarter when that is later (no round yet, or rounds were not opened for a while)."""
    latest = DeclarationRound.objects.order_by("-year", "-quarter").first()
    current = quarter_of(today)
    chosen = current if latest is None else max(_shift(latest.year, latest.quarter, 1), current)
    return round_defaults(*chosen)


# --- usage and the reserve intake ---------------------------------------------------------------
@dataclass
class UsageSummary:
    """What an approved line was used for, as known at a moment."""

    reduction_grams: int
    by_kind: dict[str, int] = field(default_factory=dict)
    references: dict[str, list[str]] = field(default_factory=dict)

    @property
    def excluded_grams(self) -> int:
        """Used in ways that keep it out of the park reserve (RES-1 (1)-(3))."""
        return sum(self.by_kind.get(k, 0) for k in EXCLUDING_KINDS)

    @property
    def upper_reserve_grams(self) -> int:
        return self.by_kind.get(UsageKind.UPPER_RESERVE, 0)

    @property
    def unused_grams(self) -> int:
        return self.reduction_grams - self.excluded_grams


def active_usages(as_of: dt.datetime | None = None) -> QuerySet[LineUsage]:
    """Marks known at ``as_of`` (now by default) and not cancelled by then."""
    qs = LineUsage.objects.all()
    if as_of is None:
        return qs.filter(cancelled_at__isnull=True)
    return qs.filter(marked_at__lte=as_of).filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=as_of))


def line_usage(line: ReductionLine, *, as_of: dt.datetime | None = None) -> UsageSummary:
    """The usage marks of ``line`` summed by kind, as known at ``as_of`` (now by default)."""
    summary = UsageSummary(reduction_grams=line.reduction_grams)
    for usage in active_usages(as_of).filter(line=line):
        summary.by_kind[usage.kind] = summary.by_kind.get(usage.kind, 0) + usage.amount_grams
        summary.references.setdefault(usage.kind, []).append(usage.reference)
    return summary


@dataclass(frozen=True)
class IntakeCandidate:
    """An approved reduction line as the reserve intake sees it (RES-1)."""

    line: ReductionLine
    reduction_grams: int
    excluded: list[tuple[str, str, int, list[str]]]  # (kind, label, grams, references)
    eligible_grams: int
    upper_reserve_grams: int


def lines_eligible_for_intake(
    zone: Any, period: tuple[dt.date, dt.date], *, as_of: dt.datetime | None = None
) -> list[IntakeCandidate]:
    """Approved lines of ``zone`` whose project entered the library within ``period`` (inclusive
    dates), each with what is excluded from the reserve and why (RES-1 (1)-(3)), what remains
    eligible, and how much was submitted to the upper-level reserve."""
    start, end = period
    lines = (
        ReductionLine.objects.filter(
            project__zone=zone,
            project__status=ProjectStatus.APPROVED,
            project__decided_at__date__gte=start,
            project__decided_at__date__lte=end,
        )
        .select_related("project", "pollutant")
        .order_by("project__decided_at", "project_id", "pollutant__sort_order")
    )
    labels = dict(UsageKind.choices)
    result = []
    for line in lines:
        summary = line_usage(line, as_of=as_of)
        excluded = [
            (str(kind), str(labels[kind]), summary.by_kind[kind], summary.references.get(kind, []))
            for kind in EXCLUDING_KINDS
            if summary.by_kind.get(kind)
        ]
        result.append(
            IntakeCandidate(
                line=line,
                reduction_grams=line.reduction_grams,
                excluded=excluded,
                eligible_grams=summary.unused_grams,
                upper_reserve_grams=summary.upper_reserve_grams,
            )
        )
    return result


# The reserve area registers functions here that answer "how many grams of ``pollutant`` reduced
# in ``zone`` were allocated from the reserve between ``start`` and ``end``" (through the ledger's
# forward trace), as the ledger stood at ``known_at`` when given (keyword; ``None``: everything
# recorded); the bulletin adds their answers to the used amounts.
ReserveUse = Callable[..., int]
RESERVE_USE_PROVIDERS: list[ReserveUse] = []


def register_reserve_use(func: ReserveUse) -> ReserveUse:
    RESERVE_USE_PROVIDERS.append(func)
    return func


def reserve_use_grams(
    zone: Any, pollutant: Any, start: dt.date, end: dt.date, *, known_at: dt.datetime | None = None
) -> int:
    """Grams reduced in ``zone`` allocated from the reserve in the period; with ``known_at``, only
    from transfers recorded by then (a bulletin regenerated as known at its issue)."""
    return sum(provider(zone, pollutant, start, end, known_at=known_at) for provider in RESERVE_USE_PROVIDERS)


# --- the library ---------------------------------------------------------------------------------
def library_lines(principal: Any) -> QuerySet[ReductionLine]:
    """Approved lines in ``principal``'s scope with their used amounts (active marks)."""
    active = Q(usages__cancelled_at__isnull=True)
    return (
        restrict(principal, ReductionLine.objects.all(), "reductions.view")
        .filter(project__status=ProjectStatus.APPROVED)
        .select_related("project", "project__zone", "project__enterprise", "pollutant")
        .annotate(
            excluded_grams=Coalesce(
                Sum("usages__amount_grams", filter=active & Q(usages__kind__in=EXCLUDING_KINDS)), 0
            ),
            upper_grams=Coalesce(
                Sum("usages__amount_grams", filter=active & Q(usages__kind=UsageKind.UPPER_RESERVE)), 0
            ),
        )
    )


def method_label(code: str) -> str:
    method = METHODS.get(code)
    return str(method.label) if method else code


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the platform's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def _stored_files(storage: Any, folder: str) -> Iterator[str]:
    if not storage.exists(folder):
        return
    subfolders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in subfolders:
        yield from _stored_files(storage, f"{folder}/{sub}")


def orphan_evidence_files(*, older_than: dt.datetime) -> list[str]:
    """Stored evidence files that no evidence record names and that were last written before
    ``older_than`` (younger ones may belong to an upload whose row is still committing)."""
    storage = default_storage
    named = set(Evidence.objects.values_list("file", flat=True))
    return [
        name
        for name in _stored_files(storage, EVIDENCE_FOLDER)
        if name not in named and storage.get_modified_time(name) < older_than
    ]
