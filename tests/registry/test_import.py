import re

import pytest
from django.urls import reverse

from tests.factories import credit_code
from tests.xlsx_helpers import export_name, read_export, read_xlsx, response_bytes, xlsx_upload
from totalquota.audit.models import AuditEvent
from totalquota.registry.models import Enterprise
from totalquota.registry.services import IMPORT_COLUMNS

pytestmark = pytest.mark.django_db
HEADERS = [h for h, _f in IMPORT_COLUMNS]


def row(n, zone="高端制造与国际贸易区", **overrides):
    code = credit_code(5000 + n)
    values = {
        "单位名称": f"苏州导入{n}号科技有限公司",
        "统一社会信用代码": code,
        "排污许可证编号": f"{code}001V",
        "行业代码": "C3982",
        "行业类别": "电子电路制造",
        "功能区": zone,
        "地址": "星湖街 8 号",
        "联系人": "张三",
        "联系电话": "0512-61111111",
        "电子邮箱": "",
        "管理类别": "简化管理",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def test_the_downloaded_template_filled_in_imports_every_row(client, world):
    client.force_login(world.officer)
    template = client.get(reverse("registry:enterprise_template"))
    assert template.status_code == 200
    assert read_xlsx(response_bytes(template))[0] == tuple(HEADERS)
    upload = xlsx_upload(HEADERS, [row(1), row(2), row(3)])
    response = client.post(reverse("registry:enterprise_import"), {"file": upload}, follow=True)
    assert "新增 3 家" in response.content.decode()
    assert Enterprise.objects.filter(name__startswith="苏州导入").count() == 3
    assert AuditEvent.objects.filter(action="enterprise.import_create").count() == 3


def test_one_bad_row_refuses_the_whole_file_with_a_row_by_row_report(client, world):
    client.force_login(world.admin)
    rows = [
        row(1),
        row(2, **{"统一社会信用代码": "91320594MA00050020"}),
        row(3, **{"功能区": "火星区"}),
        row(4),
        row(5, **{"统一社会信用代码": credit_code(5001), "排污许可证编号": ""}),
    ]
    before = Enterprise.objects.count(), AuditEvent.objects.count()
    response = client.post(reverse("registry:enterprise_import"), {"file": xlsx_upload(HEADERS, rows)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "未写入任何数据" in page
    problems = response.context["problems"]
    assert {(p["row"], p["column"]) for p in problems} >= {
        (3, "统一社会信用代码"),
        (4, "功能区"),
        (6, "统一社会信用代码"),
        (6, "排污许可证编号"),
    }
    assert any("与第 2 行" in p["message"] for p in problems)
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == before


def test_a_zone_officer_cannot_import_units_of_another_zone(client, world):
    client.force_login(world.officer)
    response = client.post(
        reverse("registry:enterprise_import"),
        {"file": xlsx_upload(HEADERS, [row(1, zone="独墅湖科教创新区")])},
    )
    assert response.status_code == 422
    assert "无权在功能区" in response.content.decode()
    assert not Enterprise.objects.filter(name__startswith="苏州导入").exists()


def test_importing_a_known_code_updates_that_unit(client, world):
    client.force_login(world.admin)
    code = world.company.uscc
    updated = row(
        1,
        **{
            "统一社会信用代码": code,
            "排污许可证编号": world.company.permit_number,
            "单位名称": "苏州甲电子（更名）有限公司",
        },
    )
    response = client.post(
        reverse("registry:enterprise_import"), {"file": xlsx_upload(HEADERS, [updated])}, follow=True
    )
    assert "更新 1 家" in response.content.decode()
    world.company.refresh_from_db()
    assert world.company.name == "苏州甲电子（更名）有限公司"


def test_a_file_with_wrong_headers_or_not_a_workbook_is_refused(client, world):
    client.force_login(world.admin)
    wrong = xlsx_upload(["名称", "代码"], [["a", "b"]])
    response = client.post(reverse("registry:enterprise_import"), {"file": wrong})
    assert response.status_code == 422 and "表头与模板不一致" in response.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    junk = SimpleUploadedFile("x.xlsx", b"not a workbook")
    response = client.post(reverse("registry:enterprise_import"), {"file": junk})
    assert response.status_code == 422 and "无法读取文件" in response.content.decode()


def test_the_list_exports_every_matching_row_to_xlsx(client, world):
    client.force_login(world.leader)
    response = client.get(reverse("registry:enterprise_list"), {"q": "甲电子", "export": "xlsx"})
    content = response_bytes(response)
    heading = read_xlsx(content)[:3]
    assert heading[0][0] == "排污单位" and "检索：甲电子" in heading[1][0] and "导出时间" in heading[1][0]
    assert "出具单位：苏州工业园区生态环境局" in heading[2][0] and str(world.leader) in heading[2][0]
    name = export_name(response)
    assert name.startswith("排污单位名录-") and re.fullmatch(
        r"排污单位名录-\d{4}年\d{1,2}月\d{1,2}日\.xlsx", name
    )
    rows = read_export(content)
    assert rows[0][0] == "单位名称"
    assert [r[0] for r in rows[1:]] == ["苏州甲电子有限公司"]


def test_the_list_searches_and_filters_within_scope(client, world):
    client.force_login(world.officer)
    page = client.get(reverse("registry:enterprise_list"))
    names = [obj.name for obj, _cells in page.context["rows"]]
    assert names == ["苏州甲电子有限公司"]  # zone A only
    client.force_login(world.leader)
    page = client.get(reverse("registry:enterprise_list"), {"zone": world.zone_b.pk})
    assert [obj.name for obj, _c in page.context["rows"]] == ["苏州乙医药有限公司"]
    page = client.get(reverse("registry:enterprise_list"), {"q": "不存在的名字"})
    assert page.context["rows"] == []
