"""An approved application's ANNEX-1 downloaded in the browser, and its verification code checked
on the public verify page by someone who is not signed in."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.ledger_helpers import open_stock
from totalquota.documents.models import IssuedDocument
from totalquota.registry.models import Pollutant
from totalquota.reserve import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_downloaded_annex_carries_a_code_the_public_verify_page_confirms(page, login, world, browser):
    vocs = Pollutant.objects.get(code="VOCS")
    open_stock(world.admin, world.zone_a, vocs, 5_000_000, key="e2e-documents")
    app = services.application_create(
        actor=world.company_user.principal,
        enterprise=world.company,
        project_name="年产 500 万片电路板扩建项目",
        location="苏州工业园区星湖街 1 号",
        eia_reference="苏园环建〔2026〕12号",
        lines=[
            {
                "pollutant": vocs,
                "project_env_grams": 800_000,
                "plant_env_grams": 1_600_000,
                "new_discharge_grams": 700_000,
                "project_sewer_grams": 0,
                "plant_sewer_grams": 0,
            }
        ],
    )
    services.application_submit(actor=world.company_user.principal, application=app)
    services.application_approve(actor=world.reviewer.principal, application=app, reason="符合备案条件")

    login(page, world.company_user)
    page.goto(f"/reserve/applications/{app.pk}/")
    document = IssuedDocument.objects.get()
    expect(page.locator("#annex-document")).to_contain_text(document.code)
    with page.expect_download() as info:
        page.click("#annex-pdf")
    pdf = open(info.value.path(), "rb").read()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    code = re.search(r"验证码：\s*([A-Za-z0-9_-]{32})", text).group(1)
    assert code == document.verification_code

    public = browser.new_context(
        base_url=page.url.split("/reserve")[0], locale="zh-CN", accept_downloads=True
    )
    visitor = public.new_page()
    visitor.goto("/verify/")
    visitor.fill("#id_code", code)
    visitor.click("#verify-form button[type=submit]")
    result = visitor.locator("#verify-result")
    expect(result).to_have_attribute("data-state", "valid")
    expect(result).to_contain_text("有效")
    expect(result).to_contain_text(document.code)
    expect(result).to_contain_text(world.company.name)
    expect(result).to_contain_text("年产 500 万片电路板扩建项目")
    with visitor.expect_download() as stored:
        visitor.click("#verify-pdf")
    assert open(stored.value.path(), "rb").read() == pdf  # the stored file, byte for byte

    visitor.goto("/verify/")
    visitor.fill("#id_code", code[:-1] + ("A" if code[-1] != "A" else "B"))
    visitor.click("#verify-form button[type=submit]")
    expect(visitor.locator("#verify-result")).to_have_attribute("data-state", "unknown")
    public.close()
