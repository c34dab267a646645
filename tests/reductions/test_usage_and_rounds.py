"""Usage marks on approved lines, the reserve intake's view of them (RES-1), declaration rounds and
overdue projects (RED-3)."""

from __future__ import annotations

import datetime as dt

import pytest

from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed
from totalquota.reductions import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(make_project, world):
    project = make_project()
    services.project_submit(actor=world.officer.principal, project=project)
    services.project_approve(actor=world.reviewer.principal, project=project)
    return project


def test_usage_marks_only_go_on_approved_lines(make_project, world, today):
    project = make_project()
    with pytest.raises(Conflict, match="已入库"):
        services.usage_mark(
            actor=world.reviewer.principal,
            line=project.lines.get(),
            kind="sold",
            reference="x",
            used_on=today,
        )


def test_marks_that_keep_a_reduction_out_of_the_reserve_never_exceed_the_line(approved, world, today):
    line = approved.lines.get()  # 2.5 t/a
    services.usage_mark(
        actor=world.reviewer.principal,
        line=line,
        kind="binding_task",
        amount="1.5",
        reference="苏环办〔2025〕9 号",
        used_on=today,
    )
    with pytest.raises(RuleViolation, match="可标记数量为 1 t/a") as caught:
        services.usage_mark(
            actor=world.admin.principal,
            line=line,
            kind="sold",
            amount="1.2",
            reference="出让合同 12",
            used_on=today,
        )
    assert caught.value.clause == "RES-1"
    services.usage_mark(
        actor=world.admin.principal, line=line, kind="sold", reference="出让合同 12", used_on=today
    )
    # Submission to the upper-level reserve is counted on its own.
    services.usage_mark(
        actor=world.reviewer.principal,
        line=line,
        kind="upper_reserve",
        amount="2.5",
        reference="市储备库报送",
        used_on=today,
    )
    summary = selectors.line_usage(line)
    assert summary.by_kind == {"binding_task": 1_500_000, "sold": 1_000_000, "upper_reserve": 2_500_000}
    assert summary.excluded_grams == 2_500_000 and summary.unused_grams == 0


@pytest.mark.parametrize(("amount", "message"), [("-1", "负数"), ("0.0000001", "精度过高"), ("0", "大于零")])
def test_bad_usage_amounts_are_refused(approved, world, today, amount, message):
    with pytest.raises(ValidationFailed, match=message):
        services.usage_mark(
            actor=world.reviewer.principal,
            line=approved.lines.get(),
            kind="offset",
            amount=amount,
            reference="x",
            used_on=today,
        )


def test_a_cancelled_mark_stays_on_record_and_frees_its_amount(approved, world, today):
    line = approved.lines.get()
    mark = services.usage_mark(
        actor=world.reviewer.principal, line=line, kind="offset", reference="以新带老批复", used_on=today
    )
    with pytest.raises(ValidationFailed, match="理由"):
        services.usage_cancel(actor=world.reviewer.principal, usage=mark, reason="")
    services.usage_cancel(actor=world.reviewer.principal, usage=mark, reason="批复文号填错")
    mark.refresh_from_db()
    assert mark.cancelled_by == world.reviewer and mark.cancel_reason == "批复文号填错"
    assert selectors.line_usage(line).excluded_grams == 0
    with pytest.raises(Conflict):
        services.usage_cancel(actor=world.reviewer.principal, usage=mark, reason="again")


def test_the_reserve_intake_sees_exclusions_with_their_reasons(approved, world, today):
    line = approved.lines.get()
    services.usage_mark(
        actor=world.reviewer.principal,
        line=line,
        kind="offset",
        amount="0.5",
        reference="以新带老 3 号",
        used_on=today,
    )
    candidates = selectors.lines_eligible_for_intake(
        world.zone_a, (today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    )
    assert len(candidates) == 1
    found = candidates[0]
    assert found.reduction_grams == 2_500_000 and found.eligible_grams == 2_000_000
    assert found.excluded == [("offset", "用于以新带老", 500_000, ["以新带老 3 号"])]
    assert selectors.lines_eligible_for_intake(world.zone_b, (today, today)) == []


def test_a_round_for_last_years_projects_must_close_by_the_end_of_february(world):
    with pytest.raises(RuleViolation, match="2026-02-28 前完成申报") as caught:
        services.round_create(
            actor=world.admin.principal,
            year=2026,
            quarter=1,
            opens_on=dt.date(2026, 1, 5),
            deadline=dt.date(2026, 3, 15),
            covers_from=dt.date(2025, 10, 1),
            covers_to=dt.date(2025, 12, 31),
        )
    assert caught.value.clause == "RED-3"
    row = services.round_create(
        actor=world.admin.principal,
        year=2026,
        quarter=1,
        opens_on=dt.date(2026, 1, 5),
        deadline=dt.date(2026, 2, 28),
        covers_from=dt.date(2025, 10, 1),
        covers_to=dt.date(2025, 12, 31),
    )
    assert row.rule_snapshot["rules"][0]["key"] == "reduction_previous_year_deadline"
    with pytest.raises(Conflict, match="重叠"):
        services.round_create(
            actor=world.admin.principal,
            year=2026,
            quarter=2,
            opens_on=dt.date(2026, 1, 5),
            deadline=dt.date(2026, 2, 20),
            covers_from=dt.date(2025, 12, 1),
            covers_to=dt.date(2026, 1, 31),
        )


def test_in_a_leap_year_the_end_of_february_is_the_29th(world):
    row = services.round_create(
        actor=world.admin.principal,
        year=2028,
        quarter=1,
        opens_on=dt.date(2028, 1, 3),
        deadline=dt.date(2028, 2, 29),
        covers_from=dt.date(2027, 10, 1),
        covers_to=dt.date(2027, 12, 31),
    )
    assert row.deadline == dt.date(2028, 2, 29)
