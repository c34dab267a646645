"""A new report starts from what the platform knows (TOT-2): permitted from the unit's permit
limits, allowed from last year's issued determination; the unit confirms them or explains."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.emissions.conftest import YEAR, T, as_, line, listed
from totalquota.emissions.models import Determination, DeterminationLine, DeterminationStatus
from totalquota.emissions.services import reports as svc
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import PermitLimit


@pytest.fixture
def known(world, p):
    """COD permitted at 20 t from 2024 (and 30 t from 2026, after the year reported); VOCs
    permitted at 8 t; the 2025 determination issued with COD at 12 t."""
    for pollutant, grams, start, end in (
        (p["COD"], 20 * T, dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
        (p["COD"], 30 * T, dt.date(2026, 1, 1), None),
        (p["VOCS"], 8 * T, dt.date(2023, 5, 1), None),
    ):
        PermitLimit.objects.create(
            enterprise=world.company,
            pollutant=pollutant,
            permitted_grams=grams,
            valid_from=start,
            valid_to=end,
            permit_number=world.company.permit_number,
            source="排污许可证",
            recorded_by=world.admin,
        )
    determination = Determination.objects.create(
        enterprise=world.company,
        year=YEAR,
        zone=world.zone_a,
        status=DeterminationStatus.ISSUED,
        computed_by=world.reviewer,
        computed_at=timezone.now(),
    )
    DeterminationLine.objects.create(
        determination=determination,
        pollutant=p["COD"],
        base_grams=12 * T,
        computed_grams=12 * T,
        allowed_grams=12 * T,
    )
    listed(world)


def test_a_new_report_is_prefilled_from_the_permit_in_force_and_the_issued_determination(world, p, known):
    report = svc.report_create(actor=as_(world.company_user), enterprise=world.company, year=YEAR)
    lines = {x.pollutant.code: x for x in report.current_version.lines.select_related("pollutant")}
    assert set(lines) == {"COD", "VOCS"}
    assert lines["COD"].permitted_prefill_grams == 20 * T  # the limit in force on 31 December 2025
    assert lines["COD"].permitted_grams == 20 * T
    assert lines["COD"].allowed_prefill_grams == 12 * T
    assert lines["VOCS"].permitted_prefill_grams == 8 * T
    assert lines["VOCS"].allowed_prefill_grams is None  # no allowance determined
    assert lines["COD"].actual_grams is None  # the unit fills in what it emitted


def test_confirming_the_prefilled_figures_needs_no_explanation_and_a_difference_does(world, p, known):
    report = svc.report_create(actor=as_(world.company_user), enterprise=world.company, year=YEAR)
    same = line(p["COD"], 11 * T, permitted_grams=20 * T, allowed_grams=12 * T, difference_note="")
    svc.report_lines_save(actor=as_(world.company_user), report=report, lines=[same])
    differs = line(p["COD"], 11 * T, permitted_grams=25 * T, allowed_grams=12 * T, difference_note="")
    with pytest.raises(ValidationFailed) as refused:
        svc.report_lines_save(actor=as_(world.company_user), report=report, lines=[differs])
    assert refused.value.errors == [
        {
            "field": "lines[0].difference_note",
            "message": "化学需氧量：许可排放量与排污许可证载明的不同，请说明差异",
        }
    ]
    explained = line(
        p["COD"], 11 * T, permitted_grams=25 * T, allowed_grams=12 * T, difference_note="许可证已变更"
    )
    svc.report_lines_save(actor=as_(world.company_user), report=report, lines=[explained])
    assert report.current_version.lines.get().permitted_grams == 25 * T


def test_a_determination_computed_but_not_issued_is_not_offered(world, p, known):
    Determination.objects.filter(enterprise=world.company, year=YEAR).update(
        status=DeterminationStatus.COMPUTED
    )
    report = svc.report_create(actor=as_(world.company_user), enterprise=world.company, year=YEAR)
    cod = report.current_version.lines.get(pollutant=p["COD"])
    assert cod.allowed_prefill_grams is None and cod.allowed_grams is None
