"""An application's documents (申请材料, RES-2): the basis and the balance plan a review reads are
uploaded to the draft, checked by content, kept within scope, and a review cannot be submitted
without them; a filing needs none."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.reductions.conftest import MINIMAL_PDF, docx_bytes, pdf, png_bytes, upload
from tests.reserve.conftest import T, add_review_documents, line
from tests.xlsx_helpers import response_bytes
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.audit.models import AuditEvent
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Posting
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.reserve import services
from totalquota.reserve.models import ApplicationDocument, ApplicationStatus, ApplicationTransition, Route

pytestmark = pytest.mark.django_db

REVIEW = 2 * T  # VOCS above its filing threshold: the application goes to review
FILING = 500_000


def stored_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def token_client(world, enterprise) -> Client:
    _token, secret = token_issue(
        actor=world.admin.principal,
        name=f"{enterprise.name}对接",
        client=world.client,
        role=Role.ENTERPRISE,
        enterprise=enterprise,
    )
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}")


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


# --- uploading ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "name", "detected"),
    [
        (MINIMAL_PDF, "立项依据.pdf", "application/pdf"),
        (png_bytes(), "扫描件.png", "image/png"),
        (
            docx_bytes(),
            "总量平衡方案.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        # The name does not decide: a PDF called .docx is kept as the PDF it is.
        (MINIMAL_PDF, "名不副实.docx", "application/pdf"),
    ],
)
def test_a_draft_takes_real_documents_typed_by_their_content(world, p, draft, content, name, detected):
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    document = services.document_add(
        actor=world.company_user.principal, application=app, kind="basis", upload=upload(content, name)
    )
    document.refresh_from_db()
    assert document.content_type == detected and document.original_name == name
    assert document.sha256 == hashlib.sha256(content).hexdigest() and document.size_bytes == len(content)
    assert document.uploaded_by == world.company_user and document.uploaded_at is not None
    assert document.file.read() == content
    assert document.file.name.startswith(f"reserve/documents/{document.sha256[:2]}/")
    event = AuditEvent.objects.get(action="reserve.application_document_add")
    assert event.after["sha256"] == document.sha256 and event.after["kind"] == "basis"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "依据.pdf", "不是可接受的类型"),  # disguised as a PDF
        (b"MZ\x90\x00" + b"\x00" * 64, "方案.docx", "不是可接受的类型"),  # a program named .docx
        (b"%PDF-1.4\n<script>alert(1)</script>", "依据.pdf", "网页或脚本"),
        (b"PK\x03\x04not really a zip", "方案.xlsx", "不是可接受的类型"),
        (docx_bytes(macro=True), "宏.docm", "含宏"),
        (b"", "空.pdf", "空的"),
    ],
)
def test_wrong_content_is_refused_whatever_its_name_and_nothing_is_kept(
    world, p, draft, content, name, message
):
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    events = AuditEvent.objects.count()
    with pytest.raises(RuleViolation, match=message) as caught:
        services.document_add(
            actor=world.company_user.principal, application=app, kind="basis", upload=upload(content, name)
        )
    assert caught.value.clause == "RES-2" and caught.value.field == "file"
    assert not ApplicationDocument.objects.exists() and stored_files() == []
    assert AuditEvent.objects.count() == events


def test_a_file_over_the_limit_is_refused(world, p, draft, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    with pytest.raises(RuleViolation, match="文件过大"):
        services.document_add(
            actor=world.company_user.principal, application=app, kind="basis", upload=pdf(extra=b"0" * 2000)
        )
    assert not ApplicationDocument.objects.exists() and stored_files() == []


def test_an_unknown_kind_and_the_same_file_twice_are_refused(world, p, draft):
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    with pytest.raises(ValidationFailed, match="材料类型应为：依据、总量平衡方案、其他"):
        services.document_add(actor=world.company_user.principal, application=app, kind="eia", upload=pdf())
    services.document_add(actor=world.company_user.principal, application=app, kind="basis", upload=pdf())
    with pytest.raises(Conflict, match="同一文件已上传到该申请"):
        services.document_add(
            actor=world.company_user.principal, application=app, kind="balance_plan", upload=pdf("另一个.pdf")
        )
    assert ApplicationDocument.objects.count() == 1


def test_only_the_applicant_uploads_and_only_to_a_draft(world, p, draft):
    app = draft([line(p["VOCS"], project_env=FILING)], documents=False)
    with pytest.raises(Forbidden):
        services.document_add(
            actor=world.other_company_user.principal, application=app, kind="basis", upload=pdf()
        )
    with pytest.raises(Forbidden):
        services.document_add(
            actor=world.other_officer.principal, application=app, kind="basis", upload=pdf()
        )
    # The unit's zone officer may, as they may apply for it.
    services.document_add(actor=world.officer.principal, application=app, kind="other", upload=pdf())
    services.application_submit(actor=world.company_user.principal, application=app)
    with pytest.raises(Conflict, match="只有草稿状态的申请可以上传"):
        services.document_add(
            actor=world.company_user.principal, application=app, kind="basis", upload=pdf("晚了.pdf", b"late")
        )
    with pytest.raises(Conflict):
        services.document_delete(actor=world.company_user.principal, document=app.documents.get())
    assert app.documents.count() == 1


def test_a_document_of_a_draft_can_be_removed_and_its_file_goes_with_it(
    world, p, draft, django_capture_on_commit_callbacks
):
    app = draft([line(p["VOCS"], project_env=REVIEW)])
    basis = app.documents.get(kind="basis")
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(actor=world.company_user.principal, document=basis)
    assert list(app.documents.values_list("kind", flat=True)) == ["balance_plan"]
    assert len(stored_files()) == 1
    event = AuditEvent.objects.get(action="reserve.application_document_delete")
    assert event.before["sha256"] == basis.sha256


# --- submitting ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("present", "named"),
    [
        ([], "依据、总量平衡方案"),
        (["balance_plan"], "依据"),
        (["basis"], "总量平衡方案"),
        (["basis", "other"], "总量平衡方案"),
    ],
)
def test_a_review_is_not_submitted_without_its_basis_and_balance_plan_and_nothing_is_written(
    world, p, stock, draft, present, named
):
    stock(world.zone_a, "VOCS", 10 * T)
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    for kind in present:
        services.document_add(
            actor=world.company_user.principal,
            application=app,
            kind=kind,
            upload=pdf(f"{kind}.pdf", kind.encode()),
        )
    counts = (AuditEvent.objects.count(), ApplicationTransition.objects.count(), Posting.objects.count())
    with pytest.raises(RuleViolation) as caught:
        services.application_submit(actor=world.company_user.principal, application=app)
    assert str(caught.value.message).endswith(f"提交前请上传{named}（申请材料）")
    assert "挥发性有机物" in caught.value.message and "须经审核" in caught.value.message
    assert caught.value.clause == "RES-2"
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT and app.route == "" and app.submitted_at is None
    assert app.lines.get().deduction_grams == 0
    assert (
        AuditEvent.objects.count(),
        ApplicationTransition.objects.count(),
        Posting.objects.count(),
    ) == counts
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).held_out == 0


def test_a_review_with_both_documents_is_submitted_and_held(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 10 * T)
    app = draft([line(p["VOCS"], project_env=REVIEW)])  # the fixture uploads both
    app = services.application_submit(actor=world.company_user.principal, application=app)
    assert app.status == ApplicationStatus.SUBMITTED and app.route == Route.REVIEW
    assert (
        ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).held_out == app.lines.get().deduction_grams > 0
    )


def test_a_filing_needs_no_documents(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 10 * T)
    app = draft([line(p["VOCS"], project_env=FILING)], documents=False)
    app = services.application_submit(actor=world.company_user.principal, application=app)
    assert app.status == ApplicationStatus.SUBMITTED and app.route == Route.FILING
    assert not app.documents.exists()


# --- pages --------------------------------------------------------------------------------------
def test_the_enterprise_uploads_on_its_page_and_a_bad_file_is_an_error_on_the_field(client, world, p, draft):
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    client.force_login(world.company_user)
    detail = client.get(app.get_absolute_url()).content.decode()
    assert 'id="document-upload"' in detail and "提交前尚缺：依据、总量平衡方案" in detail
    url = reverse("reserve:document_upload", args=[app.pk])
    bad = client.post(url, {"kind": "basis", "file": upload(b"<html>x</html>", "依据.pdf")})
    assert bad.status_code == 422
    assert "不是可接受的类型" in " ".join(bad.context["form"].errors["file"])
    assert not ApplicationDocument.objects.exists()
    good = client.post(url, {"kind": "basis", "file": pdf("立项依据.pdf")})
    assert good.status_code == 302 and good["Location"].endswith("#documents")
    detail = client.get(app.get_absolute_url()).content.decode()
    assert "立项依据.pdf" in detail and "提交前尚缺：总量平衡方案" in detail
    # A form posted without a file body is refused before it is read.
    assert client.post(url, {"kind": "basis"}, content_type="application/json").status_code == 415


def test_submitting_a_review_without_documents_on_the_page_says_what_is_missing(
    client, world, p, stock, draft
):
    stock(world.zone_a, "VOCS", 10 * T)
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    client.force_login(world.company_user)
    response = client.post(reverse("reserve:application_action", args=[app.pk, "submit"]), follow=True)
    text = response.content.decode()
    assert "提交前请上传依据、总量平衡方案" in text and "RES-2" in text
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT


def test_reviewers_see_the_documents_beside_the_decision_preview(client, world, p, stock, draft):
    stock(world.zone_a, "VOCS", 10 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=REVIEW)])
    )
    client.force_login(world.reviewer)
    text = client.get(app.get_absolute_url()).content.decode()
    preview, documents = text.index('id="decision-preview"'), text.index('id="documents"')
    decision = text.index('id="decision-form"')
    assert preview < documents < decision  # in the decision column, after the preview
    card = text[documents:decision]
    assert card.index("立项依据.pdf") < card.index("总量平衡方案.pdf")  # the basis first
    for document in app.documents.all():
        assert document.original_name in card and document.get_absolute_url() in card
        assert document.get_kind_display() in card and str(document.uploaded_by) in card
    assert 'id="document-upload"' not in text  # the reviewer reads, never uploads
    assert "提交前尚缺" not in text


def test_documents_download_to_those_who_see_the_application_and_no_one_else(client, world, p, draft):
    app = draft([line(p["VOCS"], project_env=REVIEW)])
    document = app.documents.get(kind="basis")
    url = reverse("reserve:document_download", args=[document.pk])
    for person in (world.company_user, world.officer, world.reviewer, world.admin, world.leader):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200, person
        assert response_bytes(response) == document.file.open("rb").read()
        assert (
            response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
        )
        assert response["X-Content-Type-Options"] == "nosniff"
    for outsider in (world.other_company_user, world.other_officer):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    # And no public URL serves the stored file.
    client.logout()
    assert Client().get(f"/{settings.MEDIA_URL}{document.file.name}").status_code == 404


# --- API ----------------------------------------------------------------------------------------
def test_the_api_uploads_lists_downloads_and_removes_documents(world, p, draft):
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    api = token_client(world, world.company)
    base = f"/api/v1/reserve/applications/{app.pk}/documents"
    created = api.post(
        base, {"kind": "balance_plan", "file": pdf("总量平衡方案.pdf"), "note": "按 2:1 削减替代"}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "balance_plan" and body["kind_label"] == "总量平衡方案"
    assert body["sha256"] == hashlib.sha256(MINIMAL_PDF).hexdigest() and body["size_bytes"] == len(
        MINIMAL_PDF
    )
    assert body["content_type"] == "application/pdf" and body["note"] == "按 2:1 削减替代"
    assert body["application_id"] == app.pk
    listed = api.get(base)
    assert listed.status_code == 200 and [d["id"] for d in listed.json()] == [body["id"]]
    file = api.get(body["download_url"])
    assert file.status_code == 200 and response_bytes(file) == MINIMAL_PDF
    assert api.delete(f"{base}/{body['id']}").status_code == 204
    assert api.get(base).json() == []


def test_the_api_refuses_bad_files_and_a_submit_without_documents_with_problem_documents(
    world, p, stock, draft
):
    stock(world.zone_a, "VOCS", 10 * T)
    app = draft([line(p["VOCS"], project_env=REVIEW)], documents=False)
    api = token_client(world, world.company)
    base = f"/api/v1/reserve/applications/{app.pk}/documents"
    body = problem(api.post(base, {"kind": "basis", "file": upload(b"<html>x</html>", "依据.pdf")}), 422)
    assert body["clause"] == "RES-2" and "不是可接受的类型" in body["detail"]
    assert problem(api.post(base, {"kind": "nonsense", "file": pdf()}), 422)["detail"].startswith(
        "材料类型应为"
    )
    assert (
        "multipart/form-data"
        in problem(api.post(base, {"kind": "basis"}, content_type="application/json"), 415)["detail"]
    )
    assert not ApplicationDocument.objects.exists()
    events = AuditEvent.objects.count()
    refused = problem(api.post(f"/api/v1/reserve/applications/{app.pk}/submit"), 422)
    assert refused["clause"] == "RES-2" and "提交前请上传依据、总量平衡方案" in refused["detail"]
    assert AuditEvent.objects.count() == events
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT
    add_review_documents(app, world.company_user.principal)
    submitted = api.post(f"/api/v1/reserve/applications/{app.pk}/submit")
    assert submitted.status_code == 200 and submitted.json()["route"] == "review"


def test_another_enterprise_cannot_list_download_or_upload_through_the_api(world, p, draft):
    app = draft([line(p["VOCS"], project_env=REVIEW)])
    document = app.documents.get(kind="basis")
    other = token_client(world, world.other_company)
    base = f"/api/v1/reserve/applications/{app.pk}/documents"
    problem(other.get(base), 404)
    problem(other.get(f"{base}/{document.pk}/file"), 404)
    problem(other.post(base, {"kind": "other", "file": pdf("外单位.pdf", b"o")}), 404)
    problem(other.delete(f"{base}/{document.pk}"), 404)
    # A document addressed through another application is not found either.
    mine = draft(
        [line(p["VOCS"], project_env=FILING)],
        actor=world.other_company_user.principal,
        enterprise=world.other_company,
    )
    problem(other.get(f"/api/v1/reserve/applications/{mine.pk}/documents/{document.pk}/file"), 404)
    assert app.documents.count() == 2
