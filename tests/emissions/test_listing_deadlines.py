"""Deadline arithmetic (TOT-1, TOT-2): the rule's month and day in the year after the emission
year, 02-29 as the end of February, moved off rest days; extensions, the unit's before its zone's;
and the overdue computation.

The dates are chosen so that no public holiday interferes: the tests pass with the weekend-only
stand-in and with the working-day calendar alike."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.emissions.conftest import as_, listed
from tests.emissions.helpers_listing import clock_fixture  # noqa: F401
from totalquota.audit.models import AuditEvent
from totalquota.emissions import deadlines
from totalquota.emissions.models import DeadlineExtension, EmissionReport
from totalquota.emissions.services import listing
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import RuleParameter

D = dt.date


def test_the_list_deadline_is_the_last_day_of_february_in_leap_years_and_others(db):
    assert deadlines.list_due(2023) == D(2024, 2, 29)  # a Thursday of a leap year
    assert deadlines.list_due(2024) == D(2025, 2, 28)  # a Friday


def test_a_month_day_past_the_months_end_is_clamped():
    assert deadlines.month_day_in(2025, "02-29") == D(2025, 2, 28)
    assert deadlines.month_day_in(2028, "02-29") == D(2028, 2, 29)
    assert deadlines.month_day_in(2026, "03-31") == D(2026, 3, 31)


def test_a_report_deadline_on_a_working_day_stays_and_one_on_a_sunday_moves_to_monday(world):
    assert deadlines.report_due(world.company, 2025) == D(2026, 3, 31)  # Tuesday
    assert deadlines.report_due(world.company, 2023) == D(2024, 4, 1)  # 31 March 2024 was a Sunday


def test_a_deadline_on_a_holiday_moves_past_the_whole_holiday_by_the_calendar(world):
    # The list of 2023 is due at the end of February 2024 (Thursday 29th, a working day); a zone
    # deadline set on National Day 2024 moves past the whole holiday to Tuesday 8 October.
    assert deadlines.list_due(2023) == D(2024, 2, 29)
    RuleParameter.objects.create(
        key="report_deadline",
        zone=world.zone_b,
        value="10-01",
        effective_from=D(2021, 1, 1),
        clause_id="TOT-2",
    )
    assert deadlines.report_due(world.other_company, 2023) == D(2024, 10, 8)


def test_a_zone_may_have_its_own_report_deadline(world):
    RuleParameter.objects.create(
        key="report_deadline",
        zone=world.zone_b,
        value="03-20",
        effective_from=D(2021, 1, 1),
        clause_id="TOT-2",
    )
    assert deadlines.report_due(world.other_company, 2025) == D(2026, 3, 20)
    assert deadlines.report_due(world.company, 2025) == D(2026, 3, 31)


def extend(world, **kwargs):
    kwargs.setdefault("kind", "report")
    kwargs.setdefault("year", 2025)
    kwargs.setdefault("reason", "系统故障")
    return listing.deadline_extend(actor=as_(world.reviewer), **kwargs)


def test_a_units_extension_beats_its_zones_and_neither_is_moved_to_a_working_day(world, clock):
    extend(world, zone=world.zone_a, due_on=D(2026, 4, 18))  # a Saturday: not moved
    assert deadlines.report_due(world.company, 2025) == D(2026, 4, 18)
    extend(world, enterprise=world.company, due_on=D(2026, 4, 24), reason="单位申请")
    due = deadlines.report_due_detail(world.company, 2025)
    assert due.on == D(2026, 4, 24) and due.rule_on == D(2026, 3, 31) and due.extension.reason == "单位申请"
    # A later zone extension does not override the unit's own.
    extend(world, zone=world.zone_a, due_on=D(2026, 4, 30))
    assert deadlines.report_due(world.company, 2025) == D(2026, 4, 24)
    assert deadlines.report_due(world.other_company, 2025) == D(2026, 3, 31)
    dues = deadlines.ReportDues(2025)
    assert dues.of(world.company.pk, world.zone_a).on == D(2026, 4, 24)
    assert dues.of(world.other_company.pk, world.zone_b).on == D(2026, 3, 31)


def test_the_latest_extension_of_a_unit_wins(world, clock):
    extend(world, enterprise=world.company, due_on=D(2026, 4, 10))
    extend(world, enterprise=world.company, due_on=D(2026, 4, 20))
    assert deadlines.report_due(world.company, 2025) == D(2026, 4, 20)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"enterprise": "company", "due_on": D(2026, 3, 31), "reason": "x"},  # not after the due date
        {"enterprise": "company", "due_on": D(2026, 4, 10), "reason": " "},  # no reason
        {"enterprise": "company", "due_on": D(2101, 1, 1), "reason": "x"},  # outside the platform range
        {"due_on": D(2026, 4, 10), "reason": "x"},  # neither unit nor zone
        {"enterprise": "company", "zone": "zone_a", "due_on": D(2026, 4, 10), "reason": "x"},  # both
        {"kind": "list", "enterprise": "company", "due_on": D(2026, 4, 10), "reason": "x"},  # list: per zone
        {"kind": "later", "zone": "zone_a", "due_on": D(2026, 4, 10), "reason": "x"},
    ],
)
def test_an_extension_is_refused_and_nothing_written(world, clock, kwargs):
    for name in ("enterprise", "zone"):
        if name in kwargs:
            kwargs[name] = getattr(world, {"company": "company", "zone_a": "zone_a"}[kwargs[name]])
    with pytest.raises(ValidationFailed):
        extend(world, **kwargs)
    assert not DeadlineExtension.objects.exists()
    assert not AuditEvent.objects.filter(action="emissions.deadline_extend").exists()


def test_only_the_bureau_extends(world, clock):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        listing.deadline_extend(
            actor=as_(world.officer),
            kind="report",
            year=2025,
            zone=world.zone_a,
            due_on=D(2026, 4, 10),
            reason="x",
        )
    assert not DeadlineExtension.objects.exists()


def state_of(world, user, today, year=2025):
    return {r.entry.enterprise.name: r.state for r in deadlines.unit_dues(as_(user), year, today=today)}


def test_overdue_due_soon_pending_and_reported_units(world, clock):
    from tests.factories import EnterpriseFactory

    late = EnterpriseFactory(zone=world.zone_a, name="甲区迟报单位")
    for unit in (world.company, world.other_company, late):
        listed(world, unit)
    report = EmissionReport.objects.create(
        year=2025,
        enterprise=world.company,
        zone=world.zone_a,
        entry=world.company.list_entries.get(),
        created_by=world.company_user,
    )
    # From seven days before the 31 March deadline: due soon; the day after it: overdue.
    assert state_of(world, world.admin, D(2026, 3, 24))["甲区迟报单位"] == "due_soon"
    assert state_of(world, world.admin, D(2026, 3, 23))["甲区迟报单位"] == "pending"
    assert state_of(world, world.admin, D(2026, 3, 31))["甲区迟报单位"] == "due_soon"
    assert state_of(world, world.admin, D(2026, 4, 1))["甲区迟报单位"] == "overdue"
    # A report opened but not submitted is still owed; once submitted it is reported.
    assert state_of(world, world.admin, D(2026, 4, 1))[world.company.name] == "overdue"
    EmissionReport.objects.filter(pk=report.pk).update(submitted_at=report.created_at)
    assert state_of(world, world.admin, D(2026, 4, 1))[world.company.name] == "submitted"
    # An extension for the unit takes it off the overdue list until its new date.
    extend(world, enterprise=late, due_on=D(2026, 4, 20))
    assert state_of(world, world.admin, D(2026, 4, 1))["甲区迟报单位"] == "pending"


def test_each_sees_the_overdue_units_of_their_scope(world, clock):
    for unit in (world.company, world.other_company):
        listed(world, unit)
    today = D(2026, 4, 2)
    assert set(state_of(world, world.admin, today)) == {world.company.name, world.other_company.name}
    assert set(state_of(world, world.officer, today)) == {world.company.name}
    assert set(state_of(world, world.company_user, today)) == {world.company.name}
    assert set(state_of(world, world.other_company_user, today)) == {world.other_company.name}


def test_a_removed_unit_owes_no_report(world, clock):
    entry = listed(world)
    listing.list_remove(actor=as_(world.admin), entry=entry, reason="关闭")
    assert state_of(world, world.admin, D(2026, 4, 2)) == {}
