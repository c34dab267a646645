"""The reserve as people use it: applying through the form, deciding, the ANNEX-1 table, intake,
the upper level, recovery, warnings and their bulletin."""

from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.reserve.conftest import T, line
from tests.reserve.test_intake_upper_recovery import approved_line, this_quarter, verified
from tests.xlsx_helpers import read_export, read_xlsx, response_bytes
from totalquota.ledger import selectors as ledger_selectors
from totalquota.reserve import services
from totalquota.reserve.models import ApplicationStatus, IntakeRun, QuotaApplication

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    import io

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_an_enterprise_applies_through_the_form_and_submits(client, world, p, stock):
    stock(world.zone_a, "VOCS", 5 * T)
    client.force_login(world.company_user)
    form = client.get(reverse("reserve:application_create"))
    assert form.status_code == 200 and "全厂新增外排环境量" in form.content.decode()
    data = {
        "enterprise": world.company.pk,
        "project_name": "扩建项目",
        "location": "星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕5号",
        "VOCS__project_env_grams": "0.8",
        "VOCS__plant_env_grams": "1.5",
        "VOCS__new_discharge_grams": "0.7",
    }
    response = client.post(reverse("reserve:application_create"), data, follow=True)
    app = QuotaApplication.objects.get()
    assert response.redirect_chain[-1][0] == app.get_absolute_url()
    client.post(reverse("reserve:application_action", args=[app.pk, "submit"]))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).held_out == 700_000


def test_the_form_refuses_bad_figures_in_chinese_and_writes_nothing(client, world):
    client.force_login(world.company_user)
    data = {
        "enterprise": world.company.pk,
        "project_name": "x",
        "location": "y",
        "eia_reference": "z",
        "VOCS__project_env_grams": "2",
        "VOCS__plant_env_grams": "1",
        "VOCS__new_discharge_grams": "0.5",
        "COD__project_env_grams": "-1",
        "COD__new_discharge_grams": "0.1",
    }
    response = client.post(reverse("reserve:application_create"), data)
    html = response.content.decode()
    assert "不能为负数" in html
    data["COD__project_env_grams"] = ""
    data["COD__new_discharge_grams"] = ""
    response = client.post(reverse("reserve:application_create"), data)
    assert "全厂许可量（外排环境量）不能小于本项目" in response.content.decode()
    assert not QuotaApplication.objects.exists()


def test_reviewers_decide_on_the_page_and_the_annex_is_issued_as_pdf_and_xlsx(client, world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal,
        application=draft(
            [line(p["VOCS"], project_env=2 * T, plant_env=3 * T, new=1_500_000, project_sewer=0)]
        ),
    )
    client.force_login(world.reviewer)
    page = client.get(app.get_absolute_url())
    assert "批准后的影响" in page.content.decode()
    client.post(reverse("reserve:application_action", args=[app.pk, "propose"]), {"reason": "拟同意"})
    response = client.post(
        reverse("reserve:application_action", args=[app.pk, "approve"]), {"reason": ""}, follow=True
    )
    assert "四眼原则" in response.content.decode()
    client.force_login(world.reviewer2)
    client.post(reverse("reserve:application_action", args=[app.pk, "approve"]), {"reason": "同意"})
    app.refresh_from_db()
    assert app.status == ApplicationStatus.APPROVED
    client.force_login(world.company_user)
    pdf = client.get(reverse("reserve:annex", args=[app.pk, "pdf"]))
    text = pdf_text(pdf.content)
    for fragment in (
        "苏州工业园区排污总量指标管理信息表",
        world.company.uscc,
        "挥发性有机物 2 3",
        "苏州工业园区生态环境局",
        "动态管理",
    ):
        assert fragment in text, fragment
    rows = read_xlsx(response_bytes(client.get(reverse("reserve:annex", args=[app.pk, "xlsx"]))))
    vocs = next(r for r in rows if r[0] == "挥发性有机物")
    assert float(vocs[2]) == 2.0 and float(vocs[4]) == 3.0
    assert rows[1][0] == "苏州工业园区排污总量指标管理信息表"


def test_the_annex_pdf_renders_chinese_glyphs(client, world, p, stock, draft, tmp_path):
    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=T)])
    )
    services.application_approve(actor=world.reviewer.principal, application=app)
    client.force_login(world.admin)
    path = tmp_path / "annex.pdf"
    path.write_bytes(client.get(reverse("reserve:annex", args=[app.pk, "pdf"])).content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "CJK" in fonts or "Noto" in fonts


def test_the_admin_runs_an_intake_from_preview_to_confirmation(client, world, p):
    approved_line(world)
    client.force_login(world.admin)
    year, quarter = this_quarter()
    client.post(
        reverse("reserve:intake_create"),
        {"year": year, "quarter": quarter, "effective_date": timezone.localdate().isoformat()},
    )
    run = IntakeRun.objects.get()
    page = client.get(run.get_absolute_url())
    assert "预览，未入库" in page.content.decode()
    refused = client.post(reverse("reserve:intake_confirm", args=[run.pk]), follow=True)
    assert "四眼原则" in refused.content.decode()  # the preparer cannot confirm
    run.refresh_from_db()
    assert run.status == "prepared" and run.transitions.count() == 1
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 0
    client.force_login(world.reviewer)
    client.post(reverse("reserve:intake_confirm", args=[run.pk]))
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 2_500_000
    again = client.post(reverse("reserve:intake_confirm", args=[run.pk]), follow=True)
    assert "不能重复入库" in again.content.decode()
    run.refresh_from_db()
    assert run.confirmed_by == world.reviewer and [t.action for t in run.transitions.all()] == [
        "prepare",
        "confirm",
    ]


def test_warnings_flag_a_zone_that_cannot_cover_and_the_bulletin_says_so(client, world, p, stock, draft):
    stock(world.zone_a, "VOCS", 300_000)
    services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=900_000)])
    )
    client.force_login(world.leader)
    page = client.get(reverse("reserve:warnings"))
    row = next(r for r in page.context["rows"] if r.zone == world.zone_a and r.pollutant.code == "VOCS")
    assert row.level == "warning" and row.demand == 900_000
    text = pdf_text(client.get(reverse("reserve:warnings"), {"format": "pdf"}).content)
    assert "预警通报" in text and "高端制造与国际贸易区" in text
    rows = read_export(response_bytes(client.get(reverse("reserve:warnings"), {"format": "xlsx"})))
    level = rows[0].index("级别")
    assert any(r[0] == world.zone_a.name and r[level] == "预警" for r in rows[1:])
    home = client.get(reverse("home")).content.decode()
    assert "储备收支预警" in home


def test_the_recovery_page_lists_candidates(client, world, p, stock, draft):
    import datetime as dt

    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=T)])
    )
    services.application_approve(actor=world.reviewer.principal, application=app)
    QuotaApplication.objects.filter(pk=app.pk).update(operation_started_on=dt.date(2024, 1, 1))
    verified(world, p["VOCS"], 2025, 500_000, "执行报告")
    client.force_login(world.reviewer)
    page = client.get(reverse("reserve:recovery"))
    assert len(page.context["candidates"]) == 1
    client.post(
        reverse("reserve:line_recover", args=[app.lines.get().pk]),
        {"kind": "underused", "surplus": "0.5", "reason": "核实"},
    )
    assert app.lines.get().permitted_env_grams == T  # proposed only: nothing moves yet
    case = app.lines.get().recoveries.get()
    assert case.status == "proposed" and case.proposed_by == world.reviewer


def test_a_bad_warning_period_is_shown_on_its_field(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("reserve:warnings"), {"start": "2026-13-40", "end": "2026-06-30"})
    page = response.content.decode()
    start = page.index('name="start"')
    error = page.index("invalid-feedback", start)
    assert error < page.index('name="end"')
