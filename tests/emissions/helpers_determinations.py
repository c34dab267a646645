"""Helpers of the determination tests: an accepted report of 2025, assessments and parameters."""

from __future__ import annotations

import datetime as dt

from tests.emissions.conftest import YEAR, as_, line, listed
from totalquota.emissions.models import ConsistencyFlag, EmissionReport, FlagStatus, TechnicalOpinion
from totalquota.emissions.services import reports as svc
from totalquota.emissions.services.review import flag_resolve
from totalquota.registry.models import AttainmentStatus, RuleParameter

ALLOWANCE_YEAR = YEAR + 1  # the determinations of 2026 read the reports of 2025


def accepted(world, lines, *, enterprise=None, user=None, year=YEAR) -> EmissionReport:
    """A report of ``year`` with ``lines``, submitted, with an opinion, its flags (an actual above
    the allowed figure) resolved, accepted by a reviewer."""
    enterprise = enterprise or world.company
    user = user or world.company_user
    listed(world, enterprise, year=year)
    report = svc.report_create(actor=as_(user), enterprise=enterprise, year=year)
    svc.report_lines_save(actor=as_(user), report=report, lines=lines)
    svc.report_submit(actor=as_(user), report=report)
    report.refresh_from_db()
    TechnicalOpinion.objects.create(
        report=report,
        version=report.current_version,
        author=world.third_party,
        conclusion="accept",
        text="可信",
    )
    for flag in ConsistencyFlag.objects.filter(version=report.current_version, status=FlagStatus.OPEN):
        flag_resolve(actor=as_(world.reviewer), flag=flag, reason="已核实，移交监督")
    svc.report_accept(actor=as_(world.reviewer2), report=report)
    report.refresh_from_db()
    return report


def figures(pollutant, actual, *, permitted=None, allowed=None, **more):
    """A report line with last year's permitted and allowed figures (grams)."""
    return line(pollutant, actual, permitted_grams=permitted, allowed_grams=allowed, **more)


def assess(world, indicator, attained, *, year=YEAR):
    return AttainmentStatus.objects.create(
        year=year,
        indicator=indicator,
        attained=attained,
        source="2025 年环境质量公报",
        recorded_by=world.admin,
    )


def parameter(key, value, *, pollutant=None, zone=None, on=dt.date(ALLOWANCE_YEAR, 1, 1)):
    return RuleParameter.objects.create(
        key=key,
        value=value,
        pollutant=pollutant,
        zone=zone,
        effective_from=on,
        clause_id="TOT-3",
        source="测试",
    )
