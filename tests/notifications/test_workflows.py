"""Each workflow's steps reach the right people through the kernel's events and the real outbox
delivery: a reduction project, a quota application and a recovery case."""

from __future__ import annotations

from tests.reductions.conftest import ready_project
from tests.reserve.conftest import line
from tests.reserve.test_intake_upper_recovery import (
    approved_application,
    approved_line,
    recover_decided,
    this_quarter,
)
from totalquota.notifications.models import Notification, NotificationKind
from totalquota.outbox import deliver_pending
from totalquota.reductions import services as reductions
from totalquota.reserve import services as reserve
from totalquota.reserve.models import RecoveryKind

T = 1_000_000


def told(topic: str) -> dict[str, str]:
    """username -> kind of the notifications of events of ``topic``."""
    return dict(Notification.objects.filter(event__topic=topic).values_list("recipient__username", "kind"))


def test_a_reduction_project_submitted_by_its_zone_tells_the_reviewers_and_its_approval_the_unit(
    world, today
):
    project = ready_project(world, today)
    reductions.project_submit(actor=world.officer.principal, project=project)
    deliver_pending()
    # The zone's officer submitted it: the reviewers are told, not the officer who acted.
    assert told("reduction.submit") == {"reviewer": "other", "reviewer2": "other"}
    reductions.project_approve(actor=world.reviewer.principal, project=project)
    deliver_pending()
    assert told("reduction.approve") == {"company": NotificationKind.DECISION}
    project.refresh_from_db()
    note = Notification.objects.get(event__topic="reduction.approve")
    assert note.title == f"减排项目 {project.code}：已审核通过"
    assert note.link == project.get_absolute_url()


def test_a_returned_project_tells_its_unit_with_the_comment(world, today):
    project = ready_project(world, today)
    reductions.project_submit(actor=world.officer.principal, project=project)
    reductions.project_return(actor=world.reviewer.principal, project=project, reason="核算依据不足")
    deliver_pending()
    assert told("reduction.return") == {"company": NotificationKind.RETURN}
    assert Notification.objects.get(event__topic="reduction.return").body == "意见：核算依据不足"


def test_a_quota_application_tells_the_bureau_and_its_zone_then_its_unit_of_the_decision(
    world, p, stock, draft
):
    stock(world.zone_a, "VOCS", 5 * T)
    app = reserve.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=2 * T)])
    )
    reserve.application_propose(actor=world.reviewer.principal, application=app, proposal="拟同意")
    reserve.application_approve(actor=world.reviewer2.principal, application=app, reason="同意")
    deliver_pending()
    assert told("reserve.application.submit") == {
        "reviewer": "other",
        "reviewer2": "other",
        "officer_a": "other",
    }
    assert told("reserve.application.propose") == {"reviewer2": "other", "admin": "other"}
    assert told("reserve.application.approve") == {"company": NotificationKind.DECISION}
    note = Notification.objects.get(event__topic="reserve.application.approve")
    assert note.title == f"排污总量指标申请 {app.code}：已批准"
    assert Notification.objects.filter(recipient=world.other_company_user).count() == 0


def test_a_recovery_case_tells_the_unit_it_belongs_to_through_its_application(world, p, stock, draft):
    app = approved_application(world, p, stock, draft, 800_000)
    case = recover_decided(
        world, line=app.lines.get(), kind=RecoveryKind.NOT_BUILT, reason="企业书面承诺不再建设"
    )
    deliver_pending()
    assert told("reserve.recovery.approve") == {"company": NotificationKind.DECISION}
    note = Notification.objects.get(event__topic="reserve.recovery.approve")
    assert note.title == f"指标收回事项 #{case.pk}：已决定收回"
    assert note.link == case.get_absolute_url()
    assert not Notification.objects.filter(event__topic="reserve.recovery.propose").exists()


def test_an_intake_run_tells_the_bureau_when_prepared_and_when_confirmed(world):
    approved_line(world, name="甲厂喷涂线关停")
    year, quarter = this_quarter()
    run = reserve.intake_prepare(actor=world.admin.principal, year=year, quarter=quarter)
    reserve.intake_confirm(actor=world.reviewer.principal, run=run)
    deliver_pending()
    assert told("reserve.intake.prepare") == {"reviewer": "other", "reviewer2": "other"}
    assert told("reserve.intake.confirm") == {
        "reviewer2": NotificationKind.DECISION,
        "admin": NotificationKind.DECISION,
    }
    assert Notification.objects.get(event__topic="reserve.intake.confirm", recipient=world.admin).title == (
        f"储备入库批次 #{run.pk}：已确认入库"
    )
    assert not Notification.objects.filter(
        recipient__role__in=["enterprise", "zone_officer"], event__topic__startswith="reserve.intake"
    ).exists()
