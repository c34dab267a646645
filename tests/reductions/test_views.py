"""The reduction pages as people use them: forms, the accounting preview, lists, exports, home cards."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.reductions.conftest import MINIMAL_PDF, upload
from tests.xlsx_helpers import read_export, response_bytes
from totalquota.lib.errors import ValidationFailed
from totalquota.reductions import services
from totalquota.reductions.models import ProjectStatus, ReductionLine, ReductionProject

pytestmark = pytest.mark.django_db


def test_a_zone_officer_fills_in_a_project_through_the_form(client, world, today):
    client.force_login(world.officer)
    response = client.post(
        reverse("reductions:project_create"),
        {
            "name": "光氧改催化燃烧",
            "zone": world.zone_a.pk,
            "enterprise": world.company.pk,
            "project_type": "deep_treatment",
            "subtype": "treatment_upgrade",
            "start_date": "2025-03-01",
            "completion_date": "2025-02-01",
            "investment": "12.5",
        },
    )
    assert response.status_code == 422
    assert "竣工时间（2025-02-01）不能早于开工时间（2025-03-01）" in response.content.decode()
    assert not ReductionProject.objects.exists()
    response = client.post(
        reverse("reductions:project_create"),
        {
            "name": "光氧改催化燃烧",
            "zone": world.zone_a.pk,
            "enterprise": world.company.pk,
            "project_type": "deep_treatment",
            "subtype": "treatment_upgrade",
            "start_date": "2025-03-01",
            "completion_date": "2025-08-01",
            "investment": "12.5",
        },
        follow=True,
    )
    project = ReductionProject.objects.get()
    page = response.content.decode()
    assert project.investment_yuan == 125_000 and "12.5 万元" in page
    assert "报送前还需" in page and "建设单位未填写" in page


def test_the_accounting_form_previews_then_saves_with_the_trace(client, world, make_project):
    project = make_project()
    client.force_login(world.officer)
    url = reverse("reductions:line_edit", args=[project.pk])
    page = client.get(url, {"pollutant": "VOCS", "method": "treatment"}).content.decode()
    assert "改造前收集效率（%）" in page and "污染物产生量（t/a）" in page
    data = {
        "pollutant": "VOCS",
        "method": "treatment",
        "generated": "50",
        "capture_before": "30",
        "removal_before": "50",
        "capture_after": "90",
        "removal_after": "95",
        "basis": "设计文件",
    }
    preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200 and "35.25 t/a" in preview.content.decode()
    assert ReductionLine.objects.get(project=project).method == "closure"  # not saved by a preview
    client.post(url, data)
    line = ReductionLine.objects.get(project=project)
    assert line.method == "treatment" and line.reduction_grams == 35_250_000
    detail = client.get(project.get_absolute_url()).content.decode()
    assert "35.25" in detail and "可复算" in detail and "改造前排放量 = 产生量" in detail


def test_a_wrong_value_in_the_accounting_form_shows_the_error_and_saves_nothing(client, world, make_project):
    project = make_project()
    client.force_login(world.officer)
    response = client.post(
        reverse("reductions:line_edit", args=[project.pk]),
        {
            "pollutant": "NOX",
            "method": "documented",
            "source": "permit",
            "document": "许可证",
            "baseline": "1",
            "reduction": "2",
        },
    )
    assert response.status_code == 422
    assert "不能大于基准排放量" in response.content.decode()
    assert not project.lines.filter(pollutant__code="NOX").exists()


def test_uploading_a_disguised_file_on_the_page_is_refused(client, world, make_project):
    project = make_project(evidence=False)
    client.force_login(world.officer)
    response = client.post(
        reverse("reductions:evidence_upload", args=[project.pk]),
        {"kind": "acceptance", "file": upload(b"#!/bin/sh\nrm -rf /", "验收报告.pdf")},
    )
    assert response.status_code == 422 and "不是可接受的类型" in response.content.decode()
    response = client.post(
        reverse("reductions:evidence_upload", args=[project.pk]),
        {"kind": "acceptance", "file": upload(MINIMAL_PDF, "验收报告.pdf")},
        follow=True,
    )
    assert "已上传：验收报告.pdf" in response.content.decode()


def test_review_on_the_page_returns_then_approves(client, world, make_project):
    project = make_project()
    services.project_submit(actor=world.officer.principal, project=project)
    client.force_login(world.reviewer)
    url = reverse("reductions:project_review", args=[project.pk])
    response = client.post(url, {"decision": "return", "reason": ""}, follow=True)
    assert "退回修改须填写修改意见" in response.content.decode()
    client.post(url, {"decision": "return", "reason": "请补充监测报告"})
    project.refresh_from_db()
    assert project.status == ProjectStatus.RETURNED
    client.force_login(world.officer)
    page = client.get(project.get_absolute_url()).content.decode()
    assert "请补充监测报告" in page and "退回修改" in page
    client.post(reverse("reductions:project_submit", args=[project.pk]))
    client.force_login(world.reviewer)
    response = client.post(url, {"decision": "approve", "reason": ""}, follow=True)
    assert "审核通过，项目已纳入减排库" in response.content.decode()


def test_the_project_list_filters_by_pollutant_and_exports_what_it_shows(client, world, make_project):
    make_project(name="甲项目")
    other = make_project(name="乙项目")
    ReductionLine.objects.filter(project=other).update(pollutant_id=world_pollutant("NOX"))
    client.force_login(world.leader)
    page = client.get(
        reverse("reductions:project_list"), {"pollutant": world_pollutant("NOX")}
    ).content.decode()
    assert "乙项目" in page and "甲项目" not in page
    rows = read_export(
        response_bytes(client.get(reverse("reductions:project_list"), {"q": "甲项目", "export": "xlsx"}))
    )
    record = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and record["项目名称"] == "甲项目" and record["减排量"] == "挥发性有机物 2.5 t/a"
    assert (
        Decimal(str(record["资金投入（万元）"])) == Decimal("85.5")
        and record["统一社会信用代码"] == world.company.uscc
    )


def world_pollutant(code):
    from totalquota.registry.models import Pollutant

    return Pollutant.objects.get(code=code).pk


def test_the_library_lists_approved_lines_with_their_use(client, world, make_project, today):
    project = make_project()
    make_project(name="仍是草稿")
    services.project_submit(actor=world.officer.principal, project=project)
    services.project_approve(actor=world.reviewer.principal, project=project)
    services.usage_mark(
        actor=world.admin.principal,
        line=project.lines.get(),
        kind="offset",
        amount="1",
        reference="批复",
        used_on=today,
    )
    client.force_login(world.other_officer)
    assert "喷涂线" not in client.get(reverse("reductions:library")).content.decode()
    client.force_login(world.officer)
    page = client.get(reverse("reductions:library")).content.decode()
    assert "喷涂线油性漆改水性漆项目" in page and "仍是草稿" not in page
    rows = read_export(response_bytes(client.get(reverse("reductions:library"), {"export": "xlsx"})))
    header = rows[0]
    record = dict(zip(header, rows[1], strict=True))
    assert record["单位"] == "t/a" and float(record["核定减排量"]) == 2.5 and float(record["已使用"]) == 1.0
    assert float(record["未使用"]) == 1.5


def test_home_pages_show_what_needs_each_persons_attention(client, world, clock):
    from tests.reductions.conftest import ready_project
    from totalquota.reductions import selectors

    services.round_create(actor=world.admin.principal, **selectors.round_defaults(2026, 3))
    clock("2026-09-01")  # declared in the third quarter's round, not submitted by 30 September
    draft = ready_project(world, dt.date(2026, 9, 1), name="上一轮未报送")
    clock("2026-12-01")
    submitted = ready_project(world, dt.date(2026, 12, 1), name="待审")
    services.project_submit(actor=world.officer.principal, project=submitted)
    client.force_login(world.officer)
    page = client.get(reverse("home")).content.decode()
    assert "逾期未申报的减排项目" in page and "待报送的减排项目草稿" in page
    client.force_login(world.reviewer)
    assert "待审核的减排项目" in client.get(reverse("home")).content.decode()
    client.force_login(world.third_party)
    assert "待预审的减排项目" in client.get(reverse("home")).content.decode()
    client.force_login(world.other_officer)
    assert "逾期未申报的减排项目" not in client.get(reverse("home")).content.decode()
    assert draft.status == ProjectStatus.DRAFT


@pytest.fixture
def back_to_chinese():
    """The locale middleware leaves the request's language active in this thread; restore it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_the_pages_speak_english_on_request(client, world, make_project, back_to_chinese):
    project = make_project()
    client.force_login(world.officer)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Reductions per pollutant (RED-2, RED-3 (2))" in page and "Acceptance documents" in page
    assert "Reduction projects" in client.get(reverse("reductions:project_list")).content.decode()


def test_a_missing_deadline_rule_is_reported_to_the_admin_and_breaks_no_page(client, world, make_project):
    from totalquota.registry.models import RuleParameter

    project = make_project()
    RuleParameter.objects.filter(key="reduction_previous_year_deadline").delete()
    client.force_login(world.admin)
    home = client.get(reverse("home"))
    assert home.status_code == 200 and "规则参数缺失" in home.content.decode()
    client.force_login(world.officer)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(project.get_absolute_url()).status_code == 200
    # Overdue is a round's deadline, which needs no rule; a new completion date does.
    assert client.get(reverse("reductions:overdue")).status_code == 200
    with pytest.raises(ValidationFailed, match="无法确定申报期限"):
        services.project_update(
            actor=world.officer.principal, project=project, completion_date=project.completion_date
        )


def test_an_admin_retires_a_factor_and_accountings_after_that_day_cannot_choose_it(client, world, today):
    from totalquota.audit.models import AuditEvent
    from totalquota.lib.errors import ValidationFailed
    from totalquota.reductions.models import AccountingFactor
    from totalquota.registry.models import Pollutant

    factor = AccountingFactor.objects.get(code="AP42-5.2-REFUEL-UNC")
    client.force_login(world.officer)
    page = client.get(factor.get_absolute_url()).content.decode()
    assert "AP-42" in page and "停用该系数" not in page
    assert (
        client.post(
            reverse("reductions:factor_retire", args=[factor.pk]), {"effective_to": today}
        ).status_code
        == 403
    )

    client.force_login(world.admin)
    listing = client.get(reverse("reductions:factor_list"), {"q": "REFUEL"}).content.decode()
    assert f'href="{factor.get_absolute_url()}"' in listing
    assert "停用该系数" in client.get(factor.get_absolute_url()).content.decode()
    too_early = factor.effective_from.isoformat()
    page = client.post(
        reverse("reductions:factor_retire", args=[factor.pk]), {"effective_to": too_early}, follow=True
    ).content.decode()
    assert "停用日期须晚于生效日期" in page
    factor.refresh_from_db()
    assert (
        factor.effective_to is None
        and not AuditEvent.objects.filter(action="reduction.factor_retire").exists()
    )

    page = client.post(
        reverse("reductions:factor_retire", args=[factor.pk]), {"effective_to": today}, follow=True
    ).content.decode()
    factor.refresh_from_db()
    assert factor.effective_to == today and "不在有效期内" in page and "停用该系数" not in page
    assert AuditEvent.objects.filter(action="reduction.factor_retire", object_id=str(factor.pk)).count() == 1

    project = services.project_create(
        actor=world.officer.principal,
        name="油气回收",
        zone=world.zone_a,
        enterprise=world.company,
        project_type="other",
        subtype="vapour_recovery",
    )
    with pytest.raises(ValidationFailed, match="不在有效期内"):
        services.line_set(
            actor=world.officer.principal,
            project=project,
            pollutant=Pollutant.objects.get(code="VOCS"),
            method="vapour",
            inputs={"throughput": "100", "efficiency_before": "0", "efficiency_after": "90", "basis": "台账"},
            factors={"factor": factor.pk},
        )


def test_a_non_numeric_investment_is_an_error_on_its_field_and_nothing_is_saved(client, world):
    client.force_login(world.officer)
    response = client.post(
        reverse("reductions:project_create"),
        {
            "name": "光氧改催化燃烧",
            "zone": world.zone_a.pk,
            "enterprise": world.company.pk,
            "project_type": "deep_treatment",
            "subtype": "treatment_upgrade",
            "investment": "abc",
        },
    )
    assert response.status_code == 422
    assert not ReductionProject.objects.exists()
    page = response.content.decode()
    assert "提交的内容有误" in page
    field = re.search(r'<input[^>]*name="investment"[^>]*>', page)
    assert field and "is-invalid" in field.group(0) and 'value="abc"' in field.group(0)
    after = page[field.end() :]
    assert after.index("“abc”不是有效的数字") < after.index('name="operating_status"')
