"""Reads of enforcement and credit (SUP-4): for the pages and the API (scoped to the person
asking), and for the bulletins and dashboards (the annual supervision report's findings per unit
and per zone, park-wide figures: the report's own scope decides who reads them).

Each read is a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from totalquota.accounts.permissions import restrict
from totalquota.enforcement.models import (
    CreditEntry,
    DecisionKind,
    DecisionState,
    Finding,
    FindingFile,
    FindingTransition,
    PenaltyDecision,
)


@dataclass(frozen=True)
class FindingsSummary:
    """Findings of one year (of a unit, a zone or the park): how many were registered, how many
    penalties were confirmed and their total in fen, and how many credit entries were written."""

    findings: int = 0
    penalties: int = 0
    penalty_fen: int = 0
    credit_entries: int = 0


def _zone_id(zone: Any) -> int | None:
    return getattr(zone, "pk", zone)


def _of_year(year: int, zone: Any) -> QuerySet[Finding]:
    qs = Finding.objects.filter(year=year)
    zone_id = _zone_id(zone)
    return qs.filter(zone_id=zone_id) if zone_id is not None else qs


def _grouped(
    findings: QuerySet[Finding], by: str, *, known_at: dt.datetime | None = None
) -> dict[int, FindingsSummary]:
    """The summaries of ``findings`` per value of ``by`` (``enterprise_id``, ``zone_id``); with
    ``known_at``, of what was recorded by then."""
    credit = Count("credit_entry")
    decisions = _confirmed_penalties(findings)
    if known_at is not None:
        findings = findings.filter(created_at__lte=known_at)
        credit = Count("credit_entry", filter=Q(credit_entry__recorded_at__lte=known_at))
        decisions = _confirmed_penalties(findings).filter(confirmed_at__lte=known_at)
    counts: dict[int, int] = {
        row[by]: row["n"] for row in findings.values(by).annotate(n=Count("pk")).order_by()
    }
    decided: dict[int, dict[str, Any]] = {
        row[f"finding__{by}"]: row
        for row in decisions.values(f"finding__{by}")
        .annotate(n=Count("pk"), fen=Sum("penalty_fen"), credit=credit)
        .order_by()
    }
    empty: dict[str, Any] = {}
    return {
        key: FindingsSummary(
            findings=n,
            penalties=int(decided.get(key, empty).get("n") or 0),
            penalty_fen=int(decided.get(key, empty).get("fen") or 0),
            credit_entries=int(decided.get(key, empty).get("credit") or 0),
        )
        for key, n in counts.items()
    }


def _confirmed_penalties(findings: QuerySet[Finding]) -> QuerySet[PenaltyDecision]:
    return PenaltyDecision.objects.filter(
        finding__in=findings, state=DecisionState.CONFIRMED, kind=DecisionKind.PENALTY
    )


def findings_by_enterprise(
    year: int, zone: Any = None, *, known_at: dt.datetime | None = None
) -> dict[int, FindingsSummary]:
    """Per enterprise id, the summary of its findings of ``year`` (in ``zone``, a ``Zone`` or its
    id, when given): findings, confirmed penalties, their total in fen, credit entries. Units
    without findings are absent. Two queries. With ``known_at`` (a bulletin drawn as known at its
    issue), only what was recorded by then: findings registered, penalties confirmed and credit
    entries recorded at or before that moment."""
    return _grouped(_of_year(year, zone), "enterprise_id", known_at=known_at)


def findings_by_zone(year: int) -> dict[int, FindingsSummary]:
    """Per zone id, the totals of the findings of ``year`` (zones without findings are absent)."""
    return _grouped(Finding.objects.filter(year=year), "zone_id")


def findings_summary(year: int, zone: Any = None) -> FindingsSummary:
    """The totals of :func:`findings_by_enterprise` for the park (or ``zone``). Two queries."""
    findings = _of_year(year, zone)
    decided = _confirmed_penalties(findings).aggregate(
        n=Count("pk"), fen=Sum("penalty_fen"), credit=Count("credit_entry")
    )
    return FindingsSummary(
        findings=findings.count(),
        penalties=decided["n"] or 0,
        penalty_fen=int(decided["fen"] or 0),
        credit_entries=decided["credit"] or 0,
    )


def credit_entries_of(enterprise: Any) -> QuerySet[CreditEntry]:
    """The credit entries of a unit (an ``Enterprise`` or its id), newest first, with the
    decision and finding behind each."""
    return CreditEntry.objects.filter(enterprise_id=getattr(enterprise, "pk", enterprise)).select_related(
        "decision", "finding"
    )


# --- scoped reads for pages and the API --------------------------------------------------------
FINDING_RELATED = ("enterprise", "zone", "pollutant", "flag", "created_by")


def findings(who: Any) -> QuerySet[Finding]:
    """The findings ``who`` may see."""
    return restrict(who, Finding.objects.select_related(*FINDING_RELATED), "enforcement.view")


def credit_entries(who: Any) -> QuerySet[CreditEntry]:
    """The credit entries ``who`` may see."""
    return restrict(
        who,
        CreditEntry.objects.select_related("enterprise", "zone", "decision", "finding"),
        "enforcement.view",
    )


@dataclass
class Stages:
    """Every stage of one finding, for its page, its API detail and its export."""

    finding: Finding
    notice: Any
    answer: Any
    decisions: list[PenaltyDecision]
    credit_entry: CreditEntry | None
    evidence: list[FindingFile]
    answer_files: list[FindingFile]
    transitions: list[FindingTransition]

    @property
    def pending(self) -> PenaltyDecision | None:
        return next((d for d in self.decisions if d.state == DecisionState.PROPOSED), None)

    @property
    def confirmed(self) -> PenaltyDecision | None:
        return next((d for d in self.decisions if d.state == DecisionState.CONFIRMED), None)


def stages(finding: Finding) -> Stages:
    """The notice, the answer, the decisions (returned ones kept), the credit entry, the files
    and the history of ``finding`` (already within the reader's scope)."""
    from totalquota.enforcement.models import Answer, Notice

    files = list(FindingFile.objects.filter(finding=finding).select_related("uploaded_by"))
    return Stages(
        finding=finding,
        notice=Notice.objects.filter(finding=finding).select_related("issued_by").first(),
        answer=Answer.objects.filter(finding=finding).select_related("answered_by").first(),
        decisions=list(
            PenaltyDecision.objects.filter(finding=finding).select_related(
                "prepared_by", "confirmed_by", "returned_by"
            )
        ),
        credit_entry=CreditEntry.objects.filter(finding=finding)
        .select_related("enterprise", "zone", "decision", "finding")
        .first(),
        evidence=[f for f in files if f.kind == "evidence"],
        answer_files=[f for f in files if f.kind == "answer"],
        transitions=list(FindingTransition.objects.filter(finding=finding).select_related("actor")),
    )
