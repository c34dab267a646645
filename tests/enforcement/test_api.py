"""The enforcement chain through the API (SUP-4): every stage, its refusals as problem documents
and nothing saved behind them, and what each person sees."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from tests.enforcement.conftest import notified, proposed
from totalquota.enforcement.models import Answer, CreditEntry, Finding, PenaltyDecision
from totalquota.outbox.models import OutboxEvent

API = "/api/v1/enforcement"


def api(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def post(user, path, body=None):
    return api(user).post(f"{API}{path}", body or {}, content_type="application/json")


PENALTY = {
    "decision_number": "园环罚〔2026〕12号",
    "penalty_fen": 3_000_000,
    "legal_basis": "《水污染防治法》第八十三条",
    "severity": "general",
}


def test_the_chain_from_an_event_to_a_credit_entry_offered_to_other_systems(world):
    created = post(
        world.officer,
        "/findings",
        {
            "source": "event",
            "enterprise_id": world.company.pk,
            "year": 2026,
            "event_reference": "ZF-2026-031",
            "facts": "雨水排口检出化学需氧量超标",
            "pollutant": "COD",
        },
    )
    assert created.status_code == 201, created.content
    finding = created.json()
    assert (finding["status"], finding["source"], finding["pollutant"], finding["notice"]) == (
        "draft",
        "event",
        "COD",
        None,
    )
    path = f"/findings/{finding['id']}"
    notice = post(world.officer, f"{path}/notify").json()["notice"]
    assert dt.date.fromisoformat(notice["answer_due"]) - dt.date.fromisoformat(
        notice["issued_on"]
    ) == dt.timedelta(15)
    answered = post(world.company_user, f"{path}/answer", {"text": "已整改"})
    assert answered.json()["answer"]["text"] == "已整改"
    body = post(world.officer, f"{path}/propose", PENALTY).json()
    assert body["status"] == "proposed" and body["decisions"][0]["penalty_yuan"] == "30000.00"
    decided = post(world.reviewer, f"{path}/confirm", {"reason": "同意"})
    assert decided.status_code == 200
    detail = decided.json()
    assert detail["status"] == "decided"
    assert detail["credit_entry"]["penalty_fen"] == 3_000_000
    assert [t["action"] for t in detail["transitions"]] == [
        "create",
        "notify",
        "answer",
        "propose",
        "confirm",
    ]

    entry = CreditEntry.objects.get()
    event = OutboxEvent.objects.get(topic="enforcement.credit_entry.recorded")
    assert (event.object_type, event.object_id) == ("enforcement.creditentry", str(entry.pk))
    assert event.payload == {
        "credit_entry_id": entry.pk,
        "unit_name": world.company.name,
        "uscc": world.company.uscc,
        "zone": "A",
        "kind": "violation",
        "kind_label": "环境违法行为",
        "severity": "general",
        "recorded_on": entry.recorded_on.isoformat(),
        "reason": "雨水排口检出化学需氧量超标",
        "decision_number": "园环罚〔2026〕12号",
        "penalty_fen": 3_000_000,
        "legal_basis": "《水污染防治法》第八十三条",
        "decided_on": entry.recorded_on.isoformat(),
        "finding_code": finding["code"],
        "finding_year": 2026,
        "clause": "SUP-4",
    }
    # The kernel's own events, one per stage.
    assert OutboxEvent.objects.filter(topic__startswith="enforcement.finding.").count() == 5

    own = api(world.company_user).get(f"{API}/credit-entries").json()
    assert [e["decision_number"] for e in own["items"]] == ["园环罚〔2026〕12号"]
    assert api(world.other_company_user).get(f"{API}/credit-entries").json()["count"] == 0
    assert api(world.partner).get(f"{API}/credit-entries", {"zone": "A"}).json()["count"] == 1


def test_the_proposer_cannot_confirm_and_a_second_reviewer_can(world, answered):
    proposed(world, answered, by=world.reviewer)
    refused = post(world.reviewer, f"/findings/{answered.pk}/confirm")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert "四眼原则" in refused.json()["detail"]
    assert not CreditEntry.objects.exists()
    assert post(world.reviewer2, f"/findings/{answered.pk}/confirm").json()["status"] == "decided"


def test_a_zone_officer_cannot_confirm(world, answered):
    proposed(world, answered)
    assert post(world.officer, f"/findings/{answered.pk}/confirm").status_code == 403
    assert Finding.objects.get(pk=answered.pk).status == "proposed"


def test_bad_amounts_are_422_and_nothing_is_saved(world, answered):
    for amount in (-1, 12.5, "100", 10**30, 100_000_000_001, True, None):
        response = post(world.officer, f"/findings/{answered.pk}/propose", PENALTY | {"penalty_fen": amount})
        assert response.status_code == 422, (amount, response.content)
        assert response["Content-Type"] == "application/problem+json"
    assert (
        post(world.officer, f"/findings/{answered.pk}/propose", PENALTY | {"severity": "x"}).status_code
        == 422
    )
    assert (
        post(
            world.officer, f"/findings/{answered.pk}/propose", PENALTY | {"decision_number": " "}
        ).status_code
        == 422
    )
    assert not PenaltyDecision.objects.exists()
    assert Finding.objects.get(pk=answered.pk).status == "answered"


def test_answers_by_another_unit_after_the_deadline_or_twice_are_refused(world, finding):
    notified(world, finding, on=dt.date.today() - dt.timedelta(days=16))
    assert post(world.other_company_user, f"/findings/{finding.pk}/answer", {"text": "x"}).status_code == 404
    assert post(world.officer, f"/findings/{finding.pk}/answer", {"text": "x"}).status_code == 403
    late = post(world.company_user, f"/findings/{finding.pk}/answer", {"text": "迟到的申辩"})
    assert late.status_code == 409 and "陈述申辩期限" in late.json()["detail"]
    assert not Answer.objects.exists()
    # The answer period is over: the penalty may now be prepared without an answer.
    assert post(world.officer, f"/findings/{finding.pk}/propose", PENALTY).status_code == 200


def test_a_unit_answers_once_and_within_its_period(world, finding):
    notified(world, finding)
    assert post(world.company_user, f"/findings/{finding.pk}/answer", {"text": ""}).status_code == 422
    assert post(world.company_user, f"/findings/{finding.pk}/answer", {"text": "第一次"}).status_code == 200
    again = post(world.company_user, f"/findings/{finding.pk}/answer", {"text": "第二次"})
    assert again.status_code == 409
    assert Answer.objects.get().text == "第一次"


def test_a_proposal_during_the_answer_period_is_refused(world, finding):
    notified(world, finding)
    refused = post(world.officer, f"/findings/{finding.pk}/propose", PENALTY)
    assert refused.status_code == 422 and "方可拟定处罚" in refused.json()["detail"]
    assert not PenaltyDecision.objects.exists()


def test_no_penalty_needs_a_reason_and_a_second_person_and_writes_no_credit_entry(world, answered):
    assert post(world.officer, f"/findings/{answered.pk}/dismiss", {"reason": ""}).status_code == 422
    assert (
        post(world.officer, f"/findings/{answered.pk}/dismiss", {"reason": "单位已证明数据录入错误"}).json()[
            "status"
        ]
        == "dismissing"
    )
    closed = post(world.reviewer, f"/findings/{answered.pk}/confirm").json()
    assert closed["status"] == "closed" and closed["credit_entry"] is None
    assert closed["decisions"][0]["kind"] == "no_penalty"
    assert not CreditEntry.objects.exists()
    assert not OutboxEvent.objects.filter(topic="enforcement.credit_entry.recorded").exists()


def test_a_returned_proposal_is_kept_and_the_officer_proposes_again(world, answered):
    proposed(world, answered)
    assert post(world.reviewer, f"/findings/{answered.pk}/return", {"reason": ""}).status_code == 422
    back = post(world.reviewer, f"/findings/{answered.pk}/return", {"reason": "金额依据不足"}).json()
    assert back["status"] == "answered"
    assert (
        back["decisions"][0]["state"] == "returned"
        and back["decisions"][0]["return_reason"] == "金额依据不足"
    )
    again = post(
        world.officer, f"/findings/{answered.pk}/propose", PENALTY | {"penalty_fen": 2_000_000}
    ).json()
    assert [d["state"] for d in again["decisions"]] == ["returned", "proposed"]


def test_findings_are_scoped_like_the_pages(world, finding):
    other = post(
        world.admin,
        "/findings",
        {
            "source": "inspection",
            "enterprise_id": world.other_company.pk,
            "year": 2026,
            "inspection_date": "2026-11-02",
            "inspectors": "王五",
            "facts": "台账缺失",
        },
    ).json()
    assert {f["id"] for f in api(world.admin).get(f"{API}/findings").json()["items"]} == {
        finding.pk,
        other["id"],
    }
    assert [f["id"] for f in api(world.officer).get(f"{API}/findings").json()["items"]] == [finding.pk]
    # The unit sees its finding once notified, not the bureau's draft before.
    assert [f["id"] for f in api(world.company_user).get(f"{API}/findings").json()["items"]] == []
    notified(world, finding)
    assert [f["id"] for f in api(world.company_user).get(f"{API}/findings").json()["items"]] == [finding.pk]
    assert api(world.officer).get(f"{API}/findings/{other['id']}").status_code == 404
    assert api(world.third_party).get(f"{API}/findings").status_code == 403
    assert [f["id"] for f in api(world.leader).get(f"{API}/findings", {"zone": "B"}).json()["items"]] == [
        other["id"]
    ]
    assert api(world.leader).get(f"{API}/findings", {"source": "over_emission"}).json()["count"] == 1


def test_bad_findings_are_refused_and_nothing_is_saved(world, flag):
    cases = [
        {"source": "event", "enterprise_id": world.company.pk, "year": 2026, "facts": "x"},  # no reference
        {
            "source": "inspection",
            "enterprise_id": world.company.pk,
            "year": 2026,
            "facts": "x",
            "inspectors": "甲",
        },
        {
            "source": "inspection",
            "enterprise_id": world.company.pk,
            "year": 2026,
            "facts": "x",
            "inspectors": "甲",
            "inspection_date": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
        },
        {
            "source": "event",
            "enterprise_id": world.company.pk,
            "year": 1999,
            "event_reference": "a",
            "facts": "x",
        },
        {
            "source": "event",
            "enterprise_id": world.company.pk,
            "year": 2026,
            "event_reference": "a",
            "facts": " ",
        },
        {"source": "over_emission", "facts": "x"},
        {"source": "nonsense", "facts": "x"},
        {
            "source": "event",
            "enterprise_id": world.company.pk,
            "year": 2026,
            "event_reference": "a",
            "facts": "x",
            "pollutant": "XX",
        },
    ]
    for body in cases:
        response = post(world.officer, "/findings", body)
        assert response.status_code == 422, (body, response.content)
    other_zone = {
        "source": "event",
        "enterprise_id": world.other_company.pk,
        "year": 2026,
        "event_reference": "a",
        "facts": "x",
    }
    assert post(world.officer, "/findings", other_zone).status_code == 404
    assert not Finding.objects.exists()
    # One open finding per flag.
    assert (
        post(
            world.officer, "/findings", {"source": "over_emission", "flag_id": flag.pk, "facts": "超排"}
        ).status_code
        == 201
    )
    assert (
        post(
            world.reviewer, "/findings", {"source": "over_emission", "flag_id": flag.pk, "facts": "超排"}
        ).status_code
        == 409
    )
    assert Finding.objects.count() == 1


def test_a_decision_number_is_confirmed_once(world, answered):
    proposed(world, answered)
    post(world.reviewer, f"/findings/{answered.pk}/confirm")
    second = post(
        world.admin,
        "/findings",
        {
            "source": "event",
            "enterprise_id": world.company.pk,
            "year": 2026,
            "event_reference": "ZF-5",
            "facts": "x",
        },
    ).json()
    notified(world, Finding.objects.get(pk=second["id"]), on=dt.date.today() - dt.timedelta(days=20))
    again = post(
        world.officer, f"/findings/{second['id']}/propose", PENALTY | {"decision_number": "园环罚〔2026〕1号"}
    )
    assert again.status_code == 409 and "已被使用" in again.json()["detail"]
    assert PenaltyDecision.objects.count() == 1


def test_a_year_out_of_range_is_refused_not_a_server_error(world):
    for year in ("0", "-1", "99999"):
        response = api(world.admin).get(f"{API}/credit-entries", {"year": year})
        assert response.status_code == 422, (year, response.status_code)
