"""Four eyes where quota moves, through the HTTP handlers: intake confirmation and recovery
decisions (RES-1, RES-4 Decision), the RES-4 answer window, one intake run per quarter, the
assignment of open items and the deputy of an absent reviewer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.reserve.conftest import line
from tests.reserve.test_intake_upper_recovery import approved_line, this_quarter
from totalquota.accounts.models import Delegation
from totalquota.accounts.roles import Role
from totalquota.audit.models import AuditEvent
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Posting
from totalquota.lib.errors import Conflict
from totalquota.reserve import services
from totalquota.reserve.models import IntakeRun, RecoveryCase, RecoveryTransition
from totalquota.workflow.models import Assignment

T = 1_000_000
API = "/api/v1/reserve"


def api(client, user, method, url, body=None):
    client.force_login(user)
    return getattr(client, method)(url, body or {}, content_type="application/json")


def counts():
    return (Posting.objects.count(), RecoveryTransition.objects.count(), AuditEvent.objects.count())


@pytest.fixture
def prepared(world):
    approved_line(world)
    year, quarter = this_quarter()
    return services.intake_prepare(actor=world.admin.principal, year=year, quarter=quarter)


def test_the_preparer_of_an_intake_cannot_confirm_it_and_nothing_is_written(client, world, p, prepared):
    before = (Posting.objects.count(), prepared.transitions.count())
    answer = api(client, world.admin, "post", f"{API}/intake-runs/{prepared.pk}/confirm")
    assert answer.status_code == 403 and "四眼原则" in answer.json()["detail"]
    assert (Posting.objects.count(), prepared.transitions.count()) == before
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 0
    answer = api(client, world.reviewer, "post", f"{API}/intake-runs/{prepared.pk}/confirm")
    assert answer.status_code == 200 and answer.json()["status"] == "confirmed"
    assert answer.json()["confirmed_by_id"] == world.reviewer.pk
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 2_500_000


def test_whoever_excluded_an_item_is_a_preparer_too(client, world, prepared):
    other_admin = UserFactory(username="admin2", role=Role.ADMIN)
    services.intake_exclude(actor=other_admin.principal, item=prepared.items.get(), reason="已另行交易")
    answer = api(client, other_admin, "post", f"{API}/intake-runs/{prepared.pk}/confirm")
    assert answer.status_code == 403
    assert api(client, world.reviewer, "post", f"{API}/intake-runs/{prepared.pk}/confirm").status_code == 200


def test_a_second_run_of_a_quarter_is_refused_unless_the_first_was_cancelled(client, world, prepared):
    year, quarter = this_quarter()
    body = {"year": year, "quarter": quarter}
    again = api(client, world.admin, "post", f"{API}/intake-runs", body)
    assert again.status_code == 409 and "作废该批次后方可重新编制" in again.json()["detail"]
    assert IntakeRun.objects.count() == 1
    no_reason = api(client, world.admin, "post", f"{API}/intake-runs/{prepared.pk}/cancel", {"reason": ""})
    assert no_reason.status_code == 422
    cancelled = api(
        client, world.admin, "post", f"{API}/intake-runs/{prepared.pk}/cancel", {"reason": "期间有误"}
    )
    assert cancelled.json()["status"] == "cancelled"
    fresh = api(client, world.admin, "post", f"{API}/intake-runs", body)
    assert fresh.status_code == 201 and IntakeRun.objects.count() == 2
    # A confirmed run also keeps the quarter closed.
    assert (
        api(client, world.reviewer, "post", f"{API}/intake-runs/{fresh.json()['id']}/confirm").status_code
        == 200
    )
    assert api(client, world.admin, "post", f"{API}/intake-runs", body).status_code == 409


def test_the_intake_list_filters_by_year_quarter_status_and_zone(client, world, prepared):
    client.force_login(world.reviewer)
    page = client.get(reverse("reserve:intake_list"))
    assert set(page.context["filterset"].form.fields) == {"year", "quarter", "status", "zone"}
    listed = lambda **q: list(client.get(reverse("reserve:intake_list"), q).context["object_list"])  # noqa: E731
    assert listed(status="prepared") == [prepared]
    assert listed(status="confirmed") == []
    assert listed(zone=world.zone_a.pk) == [prepared]
    assert listed(zone=world.zone_b.pk) == []
    assert listed(year=prepared.year, quarter=prepared.quarter) == [prepared]


@pytest.fixture
def approved_app(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=T)])
    )
    return services.application_approve(actor=world.reviewer.principal, application=app)


def propose(client, world, app, kind="other", surplus="0.4"):
    answer = api(
        client,
        world.reviewer,
        "post",
        f"{API}/recoveries",
        {"line_id": app.lines.get().pk, "kind": kind, "reason": "经核实富余", "surplus": surplus},
    )
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def test_a_recovery_is_decided_by_another_reviewer_after_the_unit_had_its_say(client, world, p, approved_app):
    case_id = propose(client, world, approved_app)
    allocation = approved_app.lines.get().allocation
    balances = lambda: (  # noqa: E731
        ledger_selectors.account_balance(allocation).posted,
        ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted,
    )
    start = balances()
    url = f"{API}/recoveries/{case_id}"
    # Not yet told to the unit: another reviewer cannot decide.
    early = api(client, world.reviewer2, "post", f"{url}/approve")
    assert early.status_code == 422 and "告知" in early.json()["detail"]
    assert api(client, world.reviewer, "post", f"{url}/notify").json()["status"] == "notified"
    due = RecoveryCase.objects.get(pk=case_id).answer_due
    assert due == timezone.localdate() + dt.timedelta(days=15)
    before = counts()
    # The proposer: four eyes, nothing written.
    same = api(client, world.reviewer, "post", f"{url}/approve")
    assert same.status_code == 403 and "四眼原则" in same.json()["detail"]
    # Within the answer period and unanswered: refused.
    waiting = api(client, world.reviewer2, "post", f"{url}/approve")
    assert waiting.status_code == 422 and "期满或单位答复后" in waiting.json()["detail"]
    assert counts() == before and balances() == start
    # The unit sees the case and answers once.
    client.force_login(world.company_user)
    page = client.get(reverse("reserve:recovery_detail", args=[case_id]))
    assert page.status_code == 200 and "答复截止日期" in page.content.decode()
    assert api(client, world.company_user, "post", f"{url}/answer", {"answer": ""}).status_code == 422
    answered = api(client, world.company_user, "post", f"{url}/answer", {"answer": "产能将于明年恢复"})
    assert answered.status_code == 200 and answered.json()["answer"] == "产能将于明年恢复"
    assert api(client, world.company_user, "post", f"{url}/answer", {"answer": "再说一次"}).status_code == 409
    assert api(client, world.other_company_user, "post", f"{url}/answer", {"answer": "x"}).status_code == 404
    decided = api(client, world.reviewer2, "post", f"{url}/approve", {"reason": "答复不改变核实结果"})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert balances() == (start[0] - 400_000, start[1] + 400_000)
    steps = [(t.action, t.actor_id, t.role) for t in RecoveryTransition.objects.filter(case_id=case_id)]
    assert steps == [
        ("propose", world.reviewer.pk, "reviewer"),
        ("notify", world.reviewer.pk, "reviewer"),
        ("answer", world.company_user.pk, "enterprise"),
        ("approve", world.reviewer2.pk, "reviewer"),
    ]


def test_after_the_answer_period_the_decision_may_be_taken_without_an_answer(world, p, approved_app):
    case = services.recovery_propose(
        actor=world.reviewer.principal,
        line=approved_app.lines.get(),
        kind="other",
        reason="x",
        surplus_grams=T // 2,
    )
    case = services.recovery_notify(actor=world.reviewer.principal, case=case)
    late = case.answer_due + dt.timedelta(days=1)
    with pytest.raises(Conflict, match="答复期限"):
        services.recovery_answer(actor=world.company_user.principal, case=case, answer="晚了", today=late)
    case = services.recovery_approve(actor=world.reviewer2.principal, case=case, today=late)
    assert case.status == "approved" and case.posting is not None


def test_a_project_not_built_skips_the_notice_and_a_rejection_moves_nothing(client, world, p, approved_app):
    case_id = propose(client, world, approved_app, kind="not_built", surplus="")
    before = counts()
    no_reason = api(client, world.reviewer2, "post", f"{API}/recoveries/{case_id}/reject", {"reason": ""})
    assert no_reason.status_code == 422 and counts() == before
    rejected = api(
        client, world.reviewer2, "post", f"{API}/recoveries/{case_id}/reject", {"reason": "企业仍将建设"}
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["posting_id"] is None
    assert Posting.objects.count() == before[0]
    case_id = propose(client, world, approved_app, kind="not_built", surplus="")
    assert api(client, world.reviewer2, "post", f"{API}/recoveries/{case_id}/approve").status_code == 200
    assert ledger_selectors.account_balance(approved_app.lines.get().allocation).posted == 0


def test_an_assigned_item_is_decided_by_the_assignee_or_the_deputy_who_did_not_prepare_it(
    client, world, p, approved_app
):
    third = UserFactory(username="reviewer3", role=Role.REVIEWER)
    case_id = propose(client, world, approved_app, kind="not_built", surplus="")
    case = RecoveryCase.objects.get(pk=case_id)
    client.force_login(world.reviewer)
    refused = client.post(
        reverse("workflow:assign", args=["reserve.recoverycase", case_id]), {"assignee": world.reviewer2.pk}
    )
    assert refused.status_code == 403  # only a bureau admin assigns
    client.force_login(world.admin)
    client.post(
        reverse("workflow:assign", args=["reserve.recoverycase", case_id]), {"assignee": world.reviewer.pk}
    )
    assert not Assignment.objects.exists()  # the proposer cannot be named: four eyes
    client.post(
        reverse("workflow:assign", args=["reserve.recoverycase", case_id]),
        {"assignee": world.reviewer2.pk, "reason": "请办理"},
    )
    assert Assignment.objects.get().assignee == world.reviewer2
    assert AuditEvent.objects.filter(action="workflow.assign").count() == 1
    client.force_login(world.reviewer2)
    assert "请办理" in client.get(reverse("reserve:recovery_detail", args=[case_id])).content.decode()
    before = counts()
    other = api(client, third, "post", f"{API}/recoveries/{case_id}/approve")
    assert other.status_code == 403 and "已指派给" in other.json()["detail"] and counts() == before
    # reviewer2 is away; the deputy is the proposer, who still may not decide (four eyes) ...
    today = timezone.localdate()
    Delegation.objects.create(
        principal=world.reviewer2, deputy=world.reviewer, starts_on=today, ends_on=today, reason="出差"
    )
    assert api(client, world.reviewer, "post", f"{API}/recoveries/{case_id}/approve").status_code == 403
    # ... and a deputy who did not prepare it may.
    Delegation.objects.create(
        principal=world.reviewer2,
        deputy=third,
        starts_on=today,
        ends_on=today + dt.timedelta(days=3),
        reason="出差",
    )
    assert api(client, third, "post", f"{API}/recoveries/{case_id}/approve").status_code == 200
    case.refresh_from_db()
    assert case.status == "approved" and case.decided_by == third


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_administrators_preparing_one_quarter_at_once_through_the_api_make_one_run(world):
    from django.test import Client

    from tests.thread_helpers import run_at_once

    admins = [UserFactory(username=f"api-intake-{n}", role=Role.ADMIN) for n in range(2)]
    clients = []
    for admin in admins:
        c = Client(raise_request_exception=False)
        c.force_login(admin)
        clients.append(c)

    def prepare(n: int) -> int:
        body = {"year": 2025, "quarter": 3, "effective_date": "2025-10-01"}
        return clients[n].post(f"{API}/intake-runs", body, content_type="application/json").status_code

    assert sorted(run_at_once(prepare, 2)) == [201, 409]
    assert IntakeRun.objects.filter(year=2025, quarter=3).count() == 1


def test_a_reviewer_names_a_deputy_on_the_account_page_and_clears_it(client, world):
    client.force_login(world.reviewer)
    today = timezone.localdate()
    page = client.get(reverse("accounts:delegation"))
    assert page.status_code == 200 and list(page.context["form"].fields["deputy"].queryset) == [
        world.reviewer2
    ]
    bad = client.post(
        reverse("accounts:delegation"),
        {
            "deputy": world.reviewer2.pk,
            "starts_on": today,
            "ends_on": today - dt.timedelta(days=1),
            "reason": "休假",
        },
    )
    assert bad.status_code == 200 and "ends_on" in bad.context["form"].errors
    assert not Delegation.objects.exists()
    # Someone of another role is not offered (and refused if posted).
    other = client.post(
        reverse("accounts:delegation"),
        {"deputy": world.admin.pk, "starts_on": today, "ends_on": today, "reason": "休假"},
    )
    assert "deputy" in other.context["form"].errors and not Delegation.objects.exists()
    client.post(
        reverse("accounts:delegation"),
        {
            "deputy": world.reviewer2.pk,
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=5),
            "reason": "休假",
        },
    )
    running = Delegation.objects.get()
    assert running.deputy == world.reviewer2 and running.cleared_at is None
    assert AuditEvent.objects.filter(action="accounts.delegation_set").count() == 1
    client.post(reverse("accounts:delegation_clear"))
    running.refresh_from_db()
    assert running.cleared_at is not None
    assert AuditEvent.objects.filter(action="accounts.delegation_clear").count() == 1
    assert client.get(reverse("accounts:delegation")).status_code == 200
    client.force_login(world.company_user)
    assert client.get(reverse("accounts:delegation")).status_code == 403


def test_the_assignee_and_the_deputy_see_the_item_in_their_to_do(client, world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=3 * T)])
    )
    app = services.application_propose(actor=world.reviewer.principal, application=app, proposal="拟同意")
    client.force_login(world.admin)
    page = client.get(app.get_absolute_url())
    assert world.reviewer not in page.context["assignment"]["candidates"]  # the proposer: four eyes
    client.post(
        reverse("workflow:assign", args=["reserve.quotaapplication", app.pk]),
        {"assignee": world.reviewer2.pk, "reason": "请审批"},
    )
    third = UserFactory(username="reviewer3", role=Role.REVIEWER)
    today = timezone.localdate()
    Delegation.objects.create(
        principal=world.reviewer2, deputy=third, starts_on=today, ends_on=today, reason="会议"
    )
    for person in (world.reviewer2, third):
        client.force_login(person)
        home = client.get(reverse("home")).content.decode()
        assert "指派给我的待办" in home
        todo = client.get(reverse("workflow:assigned"))
        assert [a.item for a in todo.context["items"]] == [app]
    client.force_login(world.reviewer)
    assert client.get(reverse("workflow:assigned")).context["items"] == []
    # Another reviewer who is neither assignee nor deputy cannot approve; the deputy can.
    outsider = UserFactory(username="reviewer4", role=Role.REVIEWER)
    refused = api(client, outsider, "post", f"{API}/applications/{app.pk}/approve")
    assert refused.status_code == 403 and "已指派给" in refused.json()["detail"]
    assert api(client, third, "post", f"{API}/applications/{app.pk}/approve").json()["status"] == "approved"
    client.force_login(world.reviewer2)
    assert client.get(reverse("workflow:assigned")).context["items"] == []  # decided: off the list


def test_a_filing_shows_who_filed_it(client, world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=T // 2)])
    )
    assert app.route == "filing"
    services.application_approve(actor=world.reviewer.principal, application=app)
    client.force_login(world.company_user)
    page = client.get(app.get_absolute_url()).content.decode()
    assert "备案人" in page and str(world.reviewer) in page
    assert app.transitions.get(action="approve").actor == world.reviewer


def test_home_cards_lead_the_second_person_and_the_unit_to_their_step(
    client, world, p, prepared, approved_app
):
    client.force_login(world.admin)
    assert "待确认的入库批次" not in client.get(reverse("home")).content.decode()  # the preparer
    client.force_login(world.reviewer)
    assert "待确认的入库批次" in client.get(reverse("home")).content.decode()
    case = services.recovery_propose(
        actor=world.reviewer.principal,
        line=approved_app.lines.get(),
        kind="other",
        reason="x",
        surplus_grams=T // 2,
    )
    assert "待决定的指标收回" not in client.get(reverse("home")).content.decode()  # the proposer
    client.force_login(world.reviewer2)
    assert "待决定的指标收回" in client.get(reverse("home")).content.decode()
    services.recovery_notify(actor=world.reviewer.principal, case=case)
    client.force_login(world.company_user)
    assert "收回告知待答复" in client.get(reverse("home")).content.decode()
    client.force_login(world.other_company_user)
    assert "收回告知待答复" not in client.get(reverse("home")).content.decode()


def test_the_unit_answers_on_its_page_with_a_file_whose_content_is_checked(client, world, p, approved_app):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.reductions.conftest import pdf_bytes

    case = services.recovery_propose(
        actor=world.reviewer.principal,
        line=approved_app.lines.get(),
        kind="other",
        reason="x",
        surplus_grams=T // 2,
    )
    with pytest.raises(Conflict, match="待决定的收回事项"):
        services.recovery_propose(
            actor=world.reviewer2.principal,
            line=approved_app.lines.get(),
            kind="other",
            reason="y",
            surplus_grams=1,
        )
    services.recovery_notify(actor=world.reviewer.principal, case=case)
    client.force_login(world.company_user)
    url = reverse("reserve:recovery_answer", args=[case.pk])
    fake = SimpleUploadedFile("说明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    refused = client.post(url, {"answer": "附说明", "file": fake}, follow=True)
    assert "RES-4" in refused.content.decode()
    case.refresh_from_db()
    assert case.answered_at is None and not case.answer_file and case.transitions.count() == 2
    client.post(url, {"answer": "附说明", "file": SimpleUploadedFile("说明.pdf", pdf_bytes())})
    case.refresh_from_db()
    assert case.answer == "附说明" and case.answer_file.name.endswith(".pdf")
    page = client.get(reverse("reserve:recovery_detail", args=[case.pk])).content.decode()
    assert "附说明" in page and case.answer_file.url in page
