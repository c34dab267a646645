"""Reads of technical review and consistency (TOT-3): the review panel of a report, the reports
awaiting acceptance, over-emission candidates. Each read is a fixed number of queries, whatever
the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from totalquota.accounts.permissions import Principal, may, principal_of, restrict
from totalquota.emissions import consistency
from totalquota.emissions.models import (
    AWAITING_REVIEW,
    OVER_EMISSION,
    ConsistencyFlag,
    EmissionReport,
    FlagStatus,
    ReportVersion,
    TechnicalOpinion,
)


def awaiting_acceptance(who: Any) -> QuerySet[EmissionReport]:
    """Submitted and resubmitted reports within ``who``'s scope, each annotated with whether its
    current version has an opinion (``has_opinion``), what the latest one concludes
    (``opinion_conclusion``) and an open flag (``has_open_flags``)."""
    opinions = TechnicalOpinion.objects.filter(version_id=OuterRef("current_version_id"))
    latest = opinions.order_by("-at", "-pk").values("conclusion")[:1]
    flags = ConsistencyFlag.objects.filter(version_id=OuterRef("current_version_id"), status=FlagStatus.OPEN)
    qs = (
        EmissionReport.objects.filter(status__in=AWAITING_REVIEW)
        .select_related("enterprise", "zone", "current_version")
        .annotate(
            has_opinion=Exists(opinions), opinion_conclusion=Subquery(latest), has_open_flags=Exists(flags)
        )
        .order_by("zone__sort_order", "enterprise__name", "year", "pk")
    )
    return restrict(who, qs, "emissions.review")


def over_emission_flags(who: Any) -> QuerySet[ConsistencyFlag]:
    """Over-emission flags (actual above permitted or allowed) of current versions: the candidates
    a supervision finding is made from (SUP-4)."""
    qs = ConsistencyFlag.objects.filter(kind__in=OVER_EMISSION).exclude(status=FlagStatus.SUPERSEDED)
    return restrict(who, qs, "emissions.view").select_related("enterprise", "zone", "pollutant", "version")


@dataclass
class VersionReview:
    """One version as the reviewer sees it: its opinions and its flags."""

    version: ReportVersion
    opinions: list[TechnicalOpinion] = field(default_factory=list)
    flags: list[ConsistencyFlag] = field(default_factory=list)


@dataclass
class Panel:
    """What the review panel of a report shows."""

    report: EmissionReport
    versions: list[VersionReview]
    current: ReportVersion | None
    rows: list[consistency.ComparisonRow]
    can_opinion: bool
    can_resolve: bool
    open_flags: int

    @property
    def sources(self) -> list[str]:
        return [str(c.label) for c in self.rows[0].cells] if self.rows else []


def panel(who: Any, report: EmissionReport) -> Panel:
    """The review panel of ``report`` for ``who`` (TOT-3): the opinions and flags of each version,
    and the side-by-side table of the current (or last submitted) version."""
    principal: Principal = principal_of(who)
    versions = list(
        ReportVersion.objects.filter(report=report)
        .order_by("-number")
        .prefetch_related(
            Prefetch(
                "opinions", queryset=TechnicalOpinion.objects.select_related("author").order_by("at", "pk")
            ),
            Prefetch(
                "flags",
                queryset=ConsistencyFlag.objects.select_related("pollutant", "resolved_by").order_by(
                    "pollutant__sort_order", "kind", "source_kind"
                ),
            ),
        )
    )
    for v in versions:
        v.report = report
    shown = next((v for v in versions if v.pk == report.current_version_id and v.frozen), None)
    if shown is None:
        shown = next((v for v in versions if v.frozen), None)
    rows = consistency.side_by_side(shown) if shown is not None else []
    in_scope = restrict(principal, EmissionReport, "emissions.opinion").filter(pk=report.pk).exists()
    current = next((v for v in versions if v.pk == report.current_version_id), None)
    can_opinion = bool(
        in_scope and report.status in AWAITING_REVIEW and current is not None and current.frozen
    )
    return Panel(
        report=report,
        versions=[VersionReview(v, list(v.opinions.all()), list(v.flags.all())) for v in versions],
        current=shown,
        rows=rows,
        can_opinion=can_opinion,
        can_resolve=may(principal, "emissions.resolve_flag"),
        open_flags=sum(
            1
            for v in versions
            if v.pk == report.current_version_id
            for f in v.flags.all()
            if f.status == FlagStatus.OPEN
        ),
    )
