"""Bulk declaration from the XLSX template (RED-3): all or nothing, with a row-by-row report."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.xlsx_helpers import read_xlsx, response_bytes, xlsx_upload
from totalquota.audit.models import AuditEvent
from totalquota.reductions.imports import IMPORT_COLUMNS
from totalquota.reductions.models import Origin, ReductionLine, ReductionProject

pytestmark = pytest.mark.django_db
HEADERS = [h for h, _k in IMPORT_COLUMNS]


def row(group="1", **overrides):
    values = {
        "项目序号": group,
        "项目名称": f"导入项目{group}",
        "功能区": "高端制造与国际贸易区",
        "排污单位统一社会信用代码": "",
        "建设单位": "苏州甲电子有限公司",
        "项目地址": "星湖街 1 号",
        "联系人": "王伟",
        "联系电话": "0512-62000000",
        "开工时间": "2025-03-01",
        "竣工时间": "2025-09-30",
        "验收时间": "2025-10-20",
        "资金投入（万元）": "120",
        "减排工程类型": "深度治理类",
        "具体类型": "治理工艺提升",
        "减排运行情况": "正常运行",
        "环评批复文号": "苏园环建〔2024〕1 号",
        "排污许可证变更情况": "",
        "污染物": "挥发性有机物",
        "核算方法": "治理设施提升",
        "核算参数": "污染物产生量=50；改造前收集效率=30；改造前去除效率=50；改造后收集效率=90；改造后去除效率=95；效率取值依据=设计文件",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def test_the_template_downloads_with_its_headers_and_instructions(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("reductions:import_template"))
    content = response_bytes(response)
    assert read_xlsx(content)[0] == tuple(HEADERS)
    notes = read_xlsx(content, sheet=1)
    assert any("关停源基准年实际排放量" in (r[1] or "") for r in notes)


def test_a_filled_template_declares_projects_with_several_lines_as_drafts(client, world):
    client.force_login(world.officer)
    rows = [
        row("1"),
        row(
            "1",
            **{
                "污染物": "NOX",
                "核算方法": "燃料替代",
                "核算参数": "改造前燃料用量=100；改造前排放系数=AP42-1.4-NOX-UNC；改造后燃料用量=0；燃料用量依据=燃气账单",
            },
        ),
        row(
            "2",
            **{
                "项目名称": "加油站油气回收",
                "减排工程类型": "其他类",
                "具体类型": "加油站油气回收",
                "核算方法": "油气回收",
                "核算参数": "汽油年销售量=10000；排放系数=AP42-5.2-REFUEL-UNC；改造前油气回收效率=0；改造后油气回收效率=90；销售量与效率依据=台账",
            },
        ),
    ]
    response = client.post(reverse("reductions:import"), {"file": xlsx_upload(HEADERS, rows)}, follow=True)
    assert "新增 2 个项目草稿、3 条减排量" in response.content.decode()
    first = ReductionProject.objects.get(name="导入项目1")
    assert first.origin == Origin.IMPORT and first.status == "draft" and first.investment_yuan == 1_200_000
    lines = {line.pollutant.code: line.reduction_grams for line in first.lines.all()}
    assert lines["VOCS"] == 35_250_000
    assert lines["NOX"] == 1_601_846  # 100 万m³ × 16.018463… kg/万m³, rounded down
    assert ReductionLine.objects.get(project__name="加油站油气回收").reduction_grams == 11_880_000


def test_any_bad_row_refuses_the_whole_file_with_every_problem_listed(client, world):
    client.force_login(world.officer)
    rows = [
        row("1"),
        row("2", **{"竣工时间": "2025-01-01"}),  # before the start
        row("3", **{"污染物": "二氧化碳"}),
        row("1", **{"项目名称": "不一致的名称"}),
        row(
            "4",
            **{
                "核算参数": "污染物产生量=-5；改造前收集效率=30；改造前去除效率=50；改造后收集效率=90；改造后去除效率=95；效率取值依据=x"
            },
        ),
        row("5", **{"功能区": "独墅湖科教创新区"}),
        row("6", **{"核算方法": "拍脑袋"}),
        row("1"),  # the same pollutant twice in project 1
    ]
    before = (ReductionProject.objects.count(), AuditEvent.objects.count())
    response = client.post(reverse("reductions:import"), {"file": xlsx_upload(HEADERS, rows)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "未写入任何数据" in page
    problems = {(p["row"], p["column"]): p["message"] for p in response.context["problems"]}
    assert "不能早于开工时间" in problems[(3, "竣工时间")] and "RED-3" in problems[(3, "竣工时间")]
    assert problems[(4, "污染物")] == "污染物不存在"
    assert "不一致" in problems[(5, "项目名称")]
    assert "不能为负数" in problems[(6, "核算参数")]
    assert "无权在功能区" in problems[(7, "功能区")]
    assert "核算方法应为" in problems[(8, "核算方法")]
    assert "重复" in problems[(9, "污染物")]
    assert (ReductionProject.objects.count(), AuditEvent.objects.count()) == before


def test_enterprise_staff_and_others_cannot_import(client, world):
    client.force_login(world.company_user)
    assert client.get(reverse("reductions:import")).status_code == 403
