"""Emission-library fixtures: a listed unit, a report filled in, and the shapes of its lines."""

from __future__ import annotations

import pytest

from totalquota.accounts.permissions import principal_for_user
from totalquota.emissions.models import ListEntry
from totalquota.emissions.services.reports import LineInput, report_create, report_lines_save
from totalquota.registry.models import Pollutant

T = 1_000_000  # grams in a tonne
YEAR = 2025


@pytest.fixture
def p(db):
    return {x.code: x for x in Pollutant.objects.all()}


def as_(user):
    return principal_for_user(user)


def listed(world, enterprise=None, *, year=YEAR, by=None):
    enterprise = enterprise or world.company
    entry, _created = ListEntry.objects.get_or_create(
        year=year, enterprise=enterprise, defaults={"zone": enterprise.zone, "added_by": by or world.admin}
    )
    return entry


def line(pollutant, actual, **more):
    fields = {
        "method": "self",
        "data_source": "2025 年自行监测报告",
        "difference_note": "本单位许可证未载明，按实际排放申报",
    }
    fields.update(more)
    return LineInput(pollutant=pollutant, actual_grams=actual, **fields)


@pytest.fixture
def filled(world, p):
    """A draft report of the company for 2025 with COD and VOCs lines."""

    def make(*lines, enterprise=None, user=None):
        enterprise = enterprise or world.company
        user = user or world.company_user
        listed(world, enterprise)
        report = report_create(actor=as_(user), enterprise=enterprise, year=YEAR)
        report_lines_save(
            actor=as_(user),
            report=report,
            lines=list(lines) or [line(p["COD"], 12 * T, sewer_grams=30 * T), line(p["VOCS"], 3 * T)],
        )
        report.refresh_from_db()
        return report

    return make
