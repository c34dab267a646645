"""An application going to review, in the browser: refused without its basis and balance plan,
submitted once both are uploaded, and the reviewer reads them beside the decision preview (RES-2)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ledger_helpers import open_stock
from tests.reductions.conftest import pdf_bytes
from totalquota.registry.models import Pollutant
from totalquota.reserve.models import ApplicationDocument

pytestmark = pytest.mark.django_db(transaction=True)

BASIS = pdf_bytes(lambda writer: writer.add_metadata({"/Title": "basis"}))
PLAN = pdf_bytes(lambda writer: writer.add_metadata({"/Title": "balance plan"}))


def test_a_review_is_submitted_with_its_documents_and_the_reviewer_reads_them_beside_the_preview(
    page, login, world, screenshot
):
    vocs = Pollutant.objects.get(code="VOCS")
    open_stock(world.admin, world.zone_a, vocs, 10_000_000, key="e2e-documents")

    login(page, world.company_user)
    page.goto("/reserve/applications/new/")
    page.select_option("#id_enterprise", str(world.company.pk))
    page.fill("#id_project_name", "新建半导体封装测试生产线项目")
    page.fill("#id_location", "苏州工业园区星湖街 1 号")
    page.fill("#id_eia_reference", "苏园环建〔2026〕18号")
    page.fill("[name=VOCS__project_env_grams]", "2.5")
    page.fill("[name=VOCS__plant_env_grams]", "4")
    page.fill("[name=VOCS__new_discharge_grams]", "2")
    page.click("#save-application")
    expect(page.locator("#application-status")).to_have_text("草稿")
    expect(page.locator("#documents-missing")).to_contain_text("依据、总量平衡方案")

    # Submitting without the documents is refused and says what is missing.
    page.click("#submit-application")
    expect(page.locator(".alert-danger").first).to_contain_text("提交前请上传依据、总量平衡方案")
    expect(page.locator("#application-status")).to_have_text("草稿")

    for kind, name, content in (
        ("basis", "立项依据.pdf", BASIS),
        ("balance_plan", "总量平衡方案.pdf", PLAN),
    ):
        page.select_option("#document_kind", kind)
        page.set_input_files(
            "#document_file", {"name": name, "mimeType": "application/pdf", "buffer": content}
        )
        page.click("#upload-document")
        expect(page.locator("#document-list")).to_contain_text(name)
    expect(page.locator("#documents-missing")).to_have_count(0)
    page.click("#submit-application")
    expect(page.locator("#application-status")).to_have_text("已提交")
    url = page.url

    reviewer_page = page.context.browser.new_context(
        base_url=page.url.split("/reserve")[0],
        locale="zh-CN",
        extra_http_headers={"Accept-Language": "zh-CN"},
        accept_downloads=True,
        viewport={"width": 1366, "height": 900},
    ).new_page()
    login(reviewer_page, world.reviewer)
    reviewer_page.goto(url)
    expect(reviewer_page.locator("#decision-preview")).to_contain_text("批准后")
    documents = reviewer_page.locator("#documents")
    expect(documents).to_contain_text("依据")
    expect(documents).to_contain_text("总量平衡方案.pdf")
    expect(documents).to_contain_text(str(world.company_user))
    expect(reviewer_page.locator("#document-upload")).to_have_count(0)
    # Beside the preview: in the same column, right below it.
    preview_box = reviewer_page.locator("#decision-preview").bounding_box()
    documents_box = documents.bounding_box()
    assert preview_box and documents_box
    assert abs(preview_box["x"] - documents_box["x"]) < 2 and documents_box["y"] > preview_box["y"]
    documents.scroll_into_view_if_needed()
    screenshot(reviewer_page, "reserve-documents")
    with reviewer_page.expect_download() as info:
        documents.locator("tr[data-kind=balance_plan] a.document-download").click()
    assert info.value.suggested_filename == "总量平衡方案.pdf"
    assert open(info.value.path(), "rb").read() == PLAN
    reviewer_page.context.close()
    assert ApplicationDocument.objects.count() == 2
