"""Declaration rounds, late declarations and overdue projects (RED-3).

A project is declared in the round open on the day of declaration (declared while none is open,
it waits for the next one); its completion date says which year it counts toward; declared after
that year closed (end of February of the next year, rule data) it is a late declaration, which
the bureau accepts with a reason before it can approve it. Overdue means the round's deadline has
passed while the project still owes its submission, so nothing is overdue on the day it is made.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.reductions.conftest import ready_project
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.reductions import selectors, services
from totalquota.reductions.models import DeclarationRound, ProjectStatus, ProjectTransition, ReductionProject

pytestmark = pytest.mark.django_db

D = dt.date


def make_round(world, year: int, quarter: int, **changes) -> DeclarationRound:
    """The round of ``year`` Q``quarter`` with its default dates (or ``changes``)."""
    return services.round_create(
        actor=world.admin.principal, **{**selectors.round_defaults(year, quarter), **changes}
    )


def declare(world, clock, day: dt.date, **overrides) -> ReductionProject:
    """A complete project of zone A declared on ``day`` (completed 60 days before unless told)."""
    clock(day)
    return ready_project(world, day, **overrides)


def overdue_on(world, day: dt.date) -> set[ReductionProject]:
    return set(selectors.overdue_projects(world.officer, today=day))


COMPLETED_2025 = {
    "start_date": D(2025, 3, 1),
    "completion_date": D(2025, 10, 15),
    "acceptance_date": D(2025, 11, 1),
}


# --- the round of a declaration ------------------------------------------------------------------
def test_a_project_declared_today_is_in_the_open_round_and_not_overdue(world, clock):
    past = make_round(world, 2026, 3)  # 1 July - 30 September
    current = make_round(world, 2026, 4)  # 1 October - 31 December
    project = declare(world, clock, D(2026, 12, 1))
    assert (project.round, project.declared_on, project.late_declaration) == (current, D(2026, 12, 1), False)
    assert project.round != past
    assert project.year == 2026  # the completion year, whatever the round
    assert selectors.due_date(project) == D(2026, 12, 31)
    assert overdue_on(world, D(2026, 12, 1)) == set()


def test_the_deadline_day_is_in_time_and_the_day_after_is_overdue_until_submitted(world, clock):
    row = make_round(world, 2026, 3)
    project = declare(world, clock, D(2026, 9, 30))  # the round's last day
    assert project.round == row
    assert overdue_on(world, D(2026, 9, 30)) == set()
    assert overdue_on(world, D(2026, 10, 1)) == {project}
    clock(D(2026, 10, 2))
    services.project_submit(actor=world.officer.principal, project=project)
    assert overdue_on(world, D(2026, 10, 2)) == set()
    # Submitting late keeps the round it was declared in.
    project.refresh_from_db()
    assert project.round == row
    # Outside the zone nobody sees overdue projects of zone A.
    assert not selectors.overdue_projects(world.other_officer, today=D(2027, 1, 1)).exists()


def test_a_project_declared_while_no_round_is_open_waits_for_the_next_one(world, clock):
    closed = make_round(world, 2026, 3)  # closed on 30 September
    in_closed = declare(world, clock, D(2026, 9, 1), name="上一轮申报")
    waiting = declare(world, clock, D(2026, 10, 8), name="无开放轮次时申报")
    assert waiting.round is None and waiting.declared_on == D(2026, 10, 8)
    assert selectors.due_date(waiting) is None
    assert waiting not in overdue_on(world, D(2027, 6, 1))
    # The bureau opens the next round: the waiting project joins it, the earlier one stays.
    clock(D(2026, 10, 9))
    row = services.round_open_next(actor=world.admin.principal)
    assert (row.year, row.quarter) == (2026, 4)
    waiting.refresh_from_db()
    in_closed.refresh_from_db()
    assert waiting.round == row and in_closed.round == closed
    event = AuditEvent.objects.filter(action="reduction.round_create", object_id=str(row.pk)).get()
    assert event.after["joined_projects"] == [waiting.pk]
    assert waiting in overdue_on(world, D(2027, 1, 1))


def test_a_round_already_scheduled_takes_a_project_declared_before_it_opens(world, clock):
    make_round(world, 2027, 1)  # 1 January - 28 February 2027
    second = make_round(world, 2027, 2)  # opens 1 April
    project = declare(world, clock, D(2027, 3, 10))
    assert project.round == second
    assert overdue_on(world, D(2027, 6, 30)) == set()
    assert overdue_on(world, D(2027, 7, 1)) == {project}


def test_adopting_a_suggestion_declares_it_in_the_round_open_that_day(world, clock):
    clock(D(2026, 8, 1))
    row = make_round(world, 2026, 3)
    suggestion = services.project_suggest(
        actor=world.partner.principal,
        name="建议项目",
        project_type="other",
        subtype="other",
        zone=world.zone_a,
        suggestion_note="专项排查",
    )
    assert suggestion.declared_on is None and suggestion.round is None
    clock(D(2026, 8, 20))
    services.project_adopt(actor=world.officer.principal, project=suggestion)
    suggestion.refresh_from_db()
    assert (suggestion.declared_on, suggestion.round) == (D(2026, 8, 20), row)


# --- late declarations -----------------------------------------------------------------------------
def test_a_project_declared_on_the_day_its_year_closes_is_in_time(world, clock):
    make_round(world, 2026, 1)  # closes the year 2025 on 28 February 2026
    in_time = declare(world, clock, D(2026, 2, 28), **COMPLETED_2025)
    late = declare(world, clock, D(2026, 3, 1), name="三月申报", **COMPLETED_2025)
    assert (in_time.late_declaration, late.late_declaration) == (False, True)
    assert (in_time.year, late.year) == (2025, 2025)
    # The late one is not overdue on its first day (no round open yet); the one declared on the
    # round's last day and not submitted is overdue the day after.
    assert overdue_on(world, D(2026, 3, 1)) == {in_time}
    assert late.round is None


def test_a_late_declaration_is_approved_only_after_the_bureau_accepts_it_with_a_reason(world, clock):
    project = declare(world, clock, D(2026, 5, 6), **COMPLETED_2025)
    assert project.late_declaration and project.late_pending
    services.project_submit(actor=world.officer.principal, project=project)
    history = ProjectTransition.objects.count()

    with pytest.raises(RuleViolation, match="逾期申报") as refused:
        services.project_approve(actor=world.reviewer.principal, project=project)
    assert refused.value.clause == "RED-3"
    with pytest.raises(ValidationFailed, match="须说明理由"):
        services.project_accept_late(actor=world.reviewer.principal, project=project, reason=" ")
    with pytest.raises(Forbidden):
        services.project_accept_late(actor=world.officer.principal, project=project, reason="我方延误")
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED and project.late_accepted_at is None
    assert ProjectTransition.objects.count() == history

    services.project_accept_late(
        actor=world.reviewer.principal, project=project, reason="验收文件 4 月方出具"
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED
    assert (project.late_accepted_by, project.late_accept_reason) == (world.reviewer, "验收文件 4 月方出具")
    row = project.transitions.get(action="accept_late")
    assert (row.from_status, row.to_status, row.reason) == ("submitted", "submitted", "验收文件 4 月方出具")
    assert AuditEvent.objects.filter(action="reduction.accept_late", object_id=str(project.pk)).exists()
    with pytest.raises(Conflict, match="已被接受"):
        services.project_accept_late(actor=world.reviewer2.principal, project=project, reason="再次")

    services.project_approve(actor=world.reviewer.principal, project=project)
    project.refresh_from_db()
    assert project.status == ProjectStatus.APPROVED


def test_a_late_declaration_may_be_rejected_without_accepting_it(world, clock):
    project = declare(world, clock, D(2026, 5, 6), **COMPLETED_2025)
    services.project_submit(actor=world.officer.principal, project=project)
    services.project_reject(actor=world.reviewer.principal, project=project, reason="2025 年项目逾期申报")
    project.refresh_from_db()
    assert project.status == ProjectStatus.REJECTED


def test_a_project_declared_in_time_has_no_late_declaration_to_accept(world, clock):
    project = declare(world, clock, D(2026, 5, 6))
    services.project_submit(actor=world.officer.principal, project=project)
    with pytest.raises(Conflict, match="不是逾期申报"):
        services.project_accept_late(actor=world.reviewer.principal, project=project, reason="x")


def test_changing_the_completion_year_checks_the_lateness_again(world, clock):
    project = declare(world, clock, D(2026, 5, 6), **COMPLETED_2025)
    services.project_accept_late(actor=world.reviewer.principal, project=project, reason="同意")
    services.project_update(
        actor=world.officer.principal,
        project=project,
        completion_date=D(2026, 1, 20),
        acceptance_date=D(2026, 2, 1),
    )
    project.refresh_from_db()
    assert (project.year, project.late_declaration, project.late_accepted_at) == (2026, False, None)
    assert project.declared_on == D(2026, 5, 6)  # declaring happened once
    services.project_update(actor=world.officer.principal, project=project, **COMPLETED_2025)
    project.refresh_from_db()
    assert project.late_declaration and project.late_pending  # the old acceptance does not revive


# --- opening the next round --------------------------------------------------------------------------
def test_the_next_round_defaults_to_the_quarter_after_the_latest_one(world):
    assert selectors.next_round_defaults(D(2026, 12, 1))["quarter"] == 4  # no round yet: this quarter
    make_round(world, 2026, 4)
    following = selectors.next_round_defaults(D(2026, 12, 1))
    assert following == {
        "year": 2027,
        "quarter": 1,
        "title": "2027 年第 1 季度减排项目申报",
        "opens_on": D(2027, 1, 1),
        "deadline": D(2027, 2, 28),  # the end-of-February rule closes 2026's projects
        "covers_from": D(2026, 10, 1),
        "covers_to": D(2026, 12, 31),
        "note": "原则上每季度集中申报一次（RED-3）",
    }
    assert selectors.round_defaults(2028, 1)["deadline"] == D(2028, 2, 29)
    assert selectors.round_defaults(2027, 2)["deadline"] == D(2027, 6, 30)
    # Rounds stopped long ago: the next is the current quarter, not a past one.
    assert selectors.next_round_defaults(D(2028, 8, 1))["quarter"] == 3


def test_opening_the_next_round_twice_is_refused_and_nothing_is_written(world, clock):
    clock(D(2026, 12, 1))
    make_round(world, 2026, 4)
    first = services.round_open_next(actor=world.admin.principal, deadline=D(2027, 2, 20))
    assert (first.year, first.quarter, first.deadline) == (2027, 1, D(2027, 2, 20))
    count, events = DeclarationRound.objects.count(), AuditEvent.objects.count()
    with pytest.raises(Conflict, match="2027 年第 1 季度的申报轮次已存在") as refused:
        services.round_open_next(actor=world.admin.principal, year=2027, quarter=1)
    assert refused.value.field == "quarter"
    assert (DeclarationRound.objects.count(), AuditEvent.objects.count()) == (count, events)


def test_a_first_quarter_round_may_not_run_past_the_end_of_february(world, clock):
    clock(D(2026, 12, 1))
    make_round(world, 2026, 4)
    with pytest.raises(RuleViolation, match="2026 年竣工项目须在 2027-02-28 前完成申报"):
        services.round_open_next(actor=world.admin.principal, deadline=D(2027, 3, 15))
    assert DeclarationRound.objects.count() == 1


def test_projects_made_before_declaration_days_get_them_from_their_creation(world, clock):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("totalquota.reductions.migrations.0005_declaration_round_and_late")
    row = make_round(world, 2026, 2)  # 1 April - 30 June
    in_round = declare(world, clock, D(2026, 5, 6), name="五月", **COMPLETED_2025)
    before_any = declare(world, clock, D(2026, 3, 10), name="三月")
    ReductionProject.objects.update(declared_on=None, round=None, late_declaration=False)
    migration.declared_as_created(apps, None)
    in_round.refresh_from_db()
    before_any.refresh_from_db()
    assert (in_round.declared_on, in_round.round, in_round.late_declaration) == (D(2026, 5, 6), row, True)
    assert (before_any.declared_on, before_any.round, before_any.late_declaration) == (
        D(2026, 3, 10),
        row,
        False,
    )
