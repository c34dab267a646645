"""The enforcement chain through the pages (SUP-4): a finding from an over-emission flag, the
notice, the unit's answer, the penalty proposal and its confirmation by a second person, the
credit entry on the unit's page; and the refusals on the way."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from tests.enforcement.conftest import notified, proposed
from tests.reductions.conftest import pdf
from tests.xlsx_helpers import read_xlsx
from totalquota.enforcement.models import (
    Answer,
    CreditEntry,
    Finding,
    FindingFile,
    Notice,
    PenaltyDecision,
)
from totalquota.outbox.models import OutboxEvent


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_whole_chain_from_a_flag_to_a_credit_entry_through_the_pages(world, flag):
    officer, unit, reviewer = (
        client_of(world.officer),
        client_of(world.company_user),
        client_of(world.reviewer),
    )
    flag_page = officer.get(f"/emissions/review/flags/{flag.pk}/")
    assert f"/enforcement/findings/from-flag/{flag.pk}/" in flag_page.content.decode()

    response = officer.post(
        f"/enforcement/findings/from-flag/{flag.pk}/",
        {"facts": "化学需氧量超许可排放 2 吨", "file": pdf("监测报告.pdf")},
    )
    finding = Finding.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/enforcement/findings/{finding.pk}/"
    assert (finding.source, finding.flag_id, finding.enterprise_id, finding.status) == (
        "over_emission",
        flag.pk,
        world.company.pk,
        "draft",
    )
    evidence = FindingFile.objects.get(finding=finding)
    assert evidence.kind == "evidence" and evidence.original_name == "监测报告.pdf"

    officer.post(f"/enforcement/findings/{finding.pk}/notify/", {"text": "请于期限内陈述申辩"})
    notice = Notice.objects.get(finding=finding)
    assert notice.answer_due == notice.issued_on + dt.timedelta(days=15)
    assert notice.rules[0]["key"] == "finding_answer_days" and notice.rules[0]["clause_id"] == "SUP-4"

    # The unit sees its finding, with the deadline, and answers with a file.
    page = unit.get(f"/enforcement/findings/{finding.pk}/").content.decode()
    assert notice.answer_due.isoformat() in page and 'id="answer-button"' in page
    unit.post(
        f"/enforcement/findings/{finding.pk}/answer/",
        {"text": "监测数据有误，已更正", "file": [pdf("更正说明.pdf")]},
    )
    finding.refresh_from_db()
    assert finding.status == "answered" and Answer.objects.get(finding=finding).text == "监测数据有误，已更正"
    assert FindingFile.objects.get(finding=finding, kind="answer").original_name == "更正说明.pdf"

    response = officer.post(
        f"/enforcement/findings/{finding.pk}/propose/",
        {
            "decision_number": "园环罚〔2026〕7号",
            "penalty_yuan": "50000.50",
            "legal_basis": "《大气污染防治法》第九十九条",
            "severity": "serious",
        },
    )
    assert response.status_code == 302
    decision = PenaltyDecision.objects.get(finding=finding)
    assert (decision.penalty_fen, decision.state) == (5_000_050, "proposed")

    # The officer may not decide; the reviewer, who did not prepare it, confirms.
    assert officer.post(f"/enforcement/findings/{finding.pk}/confirm/").status_code == 403
    page = reviewer.get(f"/enforcement/findings/{finding.pk}/").content.decode()
    assert 'id="confirm"' in page and "50000.50" in page
    reviewer.post(f"/enforcement/findings/{finding.pk}/confirm/", {"reason": "同意"})
    finding.refresh_from_db()
    entry = CreditEntry.objects.get()
    assert finding.status == "decided"
    assert (entry.enterprise_id, entry.kind, entry.severity, entry.decision_id) == (
        world.company.pk,
        "over_emission",
        "serious",
        decision.pk,
    )
    assert OutboxEvent.objects.filter(topic="enforcement.credit_entry.recorded").count() == 1

    # The unit's page loads its findings and credit entries; the unit sees them as well.
    unit_page = client_of(world.admin).get(f"/registry/enterprises/{world.company.pk}/").content.decode()
    assert f'hx-get="/enforcement/units/{world.company.pk}/"' in unit_page
    panel = unit.get(f"/enforcement/units/{world.company.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert finding.code in panel and "园环罚〔2026〕7号" in panel and "<html" not in panel
    assert "园环罚〔2026〕7号" in unit.get("/enforcement/credit/").content.decode()

    # One finding's stages as a workbook, each dated.
    rows = read_xlsx(
        b"".join(officer.get(f"/enforcement/findings/{finding.pk}/export.xlsx").streaming_content)
    )
    stages = [r[0] for r in rows[4:]]
    assert stages == ["登记", "告知", "陈述申辩", "拟定：行政处罚", "确认：行政处罚", "信用记录"]
    assert all(isinstance(r[1], dt.date | dt.datetime) for r in rows[4:])


def test_a_proposal_during_the_answer_period_without_an_answer_is_refused_and_nothing_saved(world, finding):
    notified(world, finding)
    response = client_of(world.officer).post(
        f"/enforcement/findings/{finding.pk}/propose/",
        {
            "decision_number": "园环罚〔2026〕8号",
            "penalty_yuan": "1000",
            "legal_basis": "依据",
            "severity": "general",
        },
    )
    assert response.status_code == 422
    assert "期满或单位陈述申辩后方可拟定处罚" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == "notified" and not PenaltyDecision.objects.exists()


def test_bad_amounts_are_refused_on_the_page_and_nothing_is_saved(world, answered):
    officer = client_of(world.officer)
    for amount in ("-5", "12.345", "1e9", "2000000000", "abc", "十元"):
        response = officer.post(
            f"/enforcement/findings/{answered.pk}/propose/",
            {
                "decision_number": "园环罚〔2026〕9号",
                "penalty_yuan": amount,
                "legal_basis": "依据",
                "severity": "general",
            },
        )
        assert response.status_code == 422, amount
    answered.refresh_from_db()
    assert answered.status == "answered" and not PenaltyDecision.objects.exists()


def test_another_unit_cannot_see_or_answer_the_finding(world, finding):
    notified(world, finding)
    other = client_of(world.other_company_user)
    assert other.get(f"/enforcement/findings/{finding.pk}/").status_code == 404
    assert other.post(f"/enforcement/findings/{finding.pk}/answer/", {"text": "不是我们"}).status_code == 404
    assert finding.code not in other.get("/enforcement/findings/").content.decode()
    assert not Answer.objects.exists()


def test_the_preparer_who_may_decide_is_still_refused_by_four_eyes(world, answered):
    proposed(world, answered, by=world.reviewer)
    reviewer = client_of(world.reviewer)
    assert 'id="confirm"' not in reviewer.get(f"/enforcement/findings/{answered.pk}/").content.decode()
    reviewer.post(f"/enforcement/findings/{answered.pk}/confirm/")
    answered.refresh_from_db()
    assert answered.status == "proposed" and not CreditEntry.objects.exists()


def test_a_finding_from_an_inspection_needs_its_date_and_inspectors(world):
    officer = client_of(world.officer)
    data = {
        "source": "inspection",
        "enterprise": world.company.pk,
        "year": 2026,
        "facts": "废气收集设施未运行",
    }
    assert officer.post("/enforcement/findings/new/", data).status_code == 422
    assert not Finding.objects.exists()
    data |= {"inspection_date": "2026-11-20", "inspectors": "张三、李四"}
    response = officer.post("/enforcement/findings/new/", data)
    assert response.status_code == 302
    assert Finding.objects.get().inspectors == "张三、李四"


def test_a_zone_officer_registers_findings_of_their_own_zone_only(world):
    data = {
        "source": "event",
        "enterprise": world.other_company.pk,
        "year": 2026,
        "event_reference": "ZF-9",
        "facts": "x",
    }
    assert client_of(world.officer).post("/enforcement/findings/new/", data).status_code == 422
    assert not Finding.objects.exists()


def test_the_lists_filter_and_export(world, finding):
    other = client_of(world.admin).post(
        "/enforcement/findings/new/",
        {
            "source": "event",
            "enterprise": world.other_company.pk,
            "year": 2024,
            "event_reference": "ZF-77",
            "facts": "夜间偷排",
        },
    )
    assert other.status_code == 302
    admin = client_of(world.admin)
    page = admin.get("/enforcement/findings/", {"year": "2024"}).content.decode()
    assert "ZF-77" in page and finding.code not in page
    page = admin.get("/enforcement/findings/", {"source": "over_emission"}).content.decode()
    assert finding.code in page and "ZF-77" not in page
    rows = read_xlsx(
        b"".join(admin.get("/enforcement/findings/", {"q": "夜间偷排", "export": "xlsx"}).streaming_content)
    )
    assert any("ZF-77" in [str(c) for c in r] for r in rows)
    assert not any(finding.code in [str(c) for c in r] for r in rows)
    assert client_of(world.officer).get("/enforcement/findings/").content.decode().count("ZF-77") == 0


def test_the_units_dashboard_lists_its_findings_and_credit_entries_and_no_one_elses(world, answered):
    from totalquota.enforcement import services

    proposed(world, answered)
    services.finding_confirm(actor=world.reviewer.principal, finding=answered)
    answered.refresh_from_db()
    own = Client()
    own.force_login(world.company_user)
    html = own.get("/supervision/dashboards/unit/").content.decode()
    findings = html[html.index('id="unit-findings"') : html.index('id="unit-credit"')]
    assert answered.code in findings and f'href="/enforcement/findings/{answered.pk}/"' in findings
    credit = html[html.index('id="unit-credit"') :]
    assert answered.code in credit.split("</table>")[0]
    other = Client()
    other.force_login(world.other_company_user)
    html = other.get("/supervision/dashboards/unit/").content.decode()
    assert answered.code not in html


def test_the_home_page_tells_the_unit_to_answer_and_the_reviewer_to_confirm(world, answered, finding):
    other = notified_event(world)
    page = client_of(world.company_user).get("/").content.decode()
    assert "待陈述申辩的告知" in page and "?status=notified" in page
    proposed(world, answered)
    assert "待确认的处罚决定" in client_of(world.reviewer).get("/").content.decode()
    assert "待陈述申辩的告知" not in client_of(world.other_company_user).get("/").content.decode()
    assert other.status == "notified"


def notified_event(world):
    from totalquota.enforcement import services

    created = services.finding_create(
        actor=world.officer.principal,
        source="event",
        enterprise=world.company,
        year=2026,
        event_reference="ZF-HOME",
        facts="首页提示",
    )
    return notified(world, created)


def test_a_unit_sees_a_finding_about_it_only_once_it_is_notified(world, finding):
    unit = client_of(world.company_user)
    assert unit.get(f"/enforcement/findings/{finding.pk}/").status_code == 404
    assert finding.code not in unit.get("/enforcement/findings/").content.decode()
    assert unit.get(f"/api/v1/enforcement/findings/{finding.pk}").status_code == 404
    assert client_of(world.officer).get(f"/enforcement/findings/{finding.pk}/").status_code == 200
    notified(world, finding)
    assert unit.get(f"/enforcement/findings/{finding.pk}/").status_code == 200
    assert finding.code in unit.get("/enforcement/findings/").content.decode()
