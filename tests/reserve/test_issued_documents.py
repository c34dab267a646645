"""Issued documents through the reserve: an approval numbers its ANNEX-1 without gaps, a recovery
supersedes it with the next version, a revocation needs its reason, the stored file is what is sent
(and its digest is of those bytes), and the public verify page tells valid, superseded, revoked and
unknown codes apart."""

from __future__ import annotations

import hashlib

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.reserve.conftest import T, line
from tests.reserve.test_intake_upper_recovery import recover_decided
from tests.thread_helpers import run_at_once
from tests.workflow.test_races import TIMEOUT, signed_in
from tests.xlsx_helpers import response_bytes
from totalquota.audit.models import AuditEvent
from totalquota.common.models import DocumentCounter
from totalquota.documents import selectors
from totalquota.documents.models import DocumentKind, DocumentState, IssuedDocument
from totalquota.documents.services import document_issue, document_revoke
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.reserve import services
from totalquota.reserve.models import ApplicationStatus, RecoveryKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def approve(world, p, stock, draft):
    """Submit and approve an application of ``grams`` VOCS (filing route: one reviewer)."""

    def make(grams=T, name="年产 500 万片电路板扩建项目"):
        stock(world.zone_a, "VOCS", 2 * grams)
        app = services.application_submit(
            actor=world.company_user.principal,
            application=draft([line(p["VOCS"], project_env=grams)], name=name),
        )
        services.application_approve(actor=world.reviewer.principal, application=app)
        app.refresh_from_db()
        return app

    return make


def annex_of(app) -> IssuedDocument:
    document = selectors.valid_document(app, DocumentKind.ANNEX_1)
    assert document is not None
    return IssuedDocument.objects.get(pk=document.pk)


def test_each_approval_issues_its_annex_with_the_next_number_of_the_year(world, approve):
    apps = [approve(name=f"项目{n}") for n in range(3)]
    documents = [annex_of(app) for app in apps]
    year = documents[0].year
    assert [d.number for d in documents] == [1, 2, 3]
    assert [d.code for d in documents] == [f"苏园环总表〔{year}〕{n}号" for n in (1, 2, 3)]
    first = documents[0]
    assert (first.version, first.state, first.issued_by, first.holder) == (
        1,
        "valid",
        world.reviewer,
        world.company.name,
    )
    assert first.issued_on == timezone.localdate(apps[0].decided_at)
    assert first.figures["rows"][3] == {"code": "VOCS", "name": "挥发性有机物", "values": [None, T, None, T]}
    assert len(first.verification_code) == 32 and first.pdf is None  # drawn on first download
    assert AuditEvent.objects.filter(action="documents.issue", object_id=str(first.pk)).exists()


def test_a_rolled_back_issue_gives_its_number_back(world, approve):
    app = approve()
    year = annex_of(app).year
    with pytest.raises(RuntimeError), transaction.atomic():
        document_issue(
            actor=world.reviewer.principal,
            kind=DocumentKind.BULLETIN,
            subject=app,
            issued_on=annex_of(app).issued_on,
            figures={},
            holder="x",
            subject_label="y",
        )
        raise RuntimeError("the decision failed after the number was taken")
    assert not DocumentCounter.objects.filter(kind=DocumentKind.BULLETIN, year=year).exists()
    assert annex_of(approve(name="第二个")).number == 2


def test_a_second_valid_document_of_a_kind_for_one_record_is_refused(world, approve):
    app = approve()
    before = IssuedDocument.objects.count()
    with pytest.raises(Conflict):
        document_issue(
            actor=world.reviewer.principal,
            kind=DocumentKind.ANNEX_1,
            subject=app,
            issued_on=annex_of(app).issued_on,
            figures={},
            holder="x",
            subject_label="y",
        )
    assert IssuedDocument.objects.count() == before


def test_a_recovery_supersedes_the_annex_with_a_new_version_stating_the_new_figures(client, world, approve):
    app = approve()
    old = annex_of(app)
    recover_decided(
        world, line=app.lines.get(), kind=RecoveryKind.OTHER, reason="企业调整生产规模", surplus_grams=400_000
    )
    old.refresh_from_db()
    new = annex_of(app)
    assert (old.state, old.superseded_by_id) == (DocumentState.SUPERSEDED, new.pk)
    assert (new.version, new.number, new.issued_by) == (2, old.number + 1, world.reviewer2)
    assert new.figures["rows"][3]["values"] == [None, 600_000, None, T]
    assert old.figures["rows"][3]["values"] == [None, T, None, T]  # the old one keeps what it stated
    assert AuditEvent.objects.filter(action="documents.supersede", object_id=str(old.pk)).exists()
    # The download is the new version; the verify page of the old one points to it.
    client.force_login(world.company_user)
    assert "0.6" in _pdf_text(client.get(reverse("reserve:annex", args=[app.pk, "pdf"])).content)
    page = Client().get(reverse("documents:verify_code", args=[old.verification_code])).content.decode()
    assert "已被新版本替代" in page and new.code in page
    assert reverse("documents:verify_code", args=[new.verification_code]) in page


def _pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_revocation_needs_a_reason_and_the_verify_page_shows_it(client, world, approve):
    app = approve()
    document = annex_of(app)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match="理由"):
        document_revoke(actor=world.admin.principal, document=document, reason="  ")
    document.refresh_from_db()
    assert document.state == DocumentState.VALID and AuditEvent.objects.count() == events
    document_revoke(actor=world.admin.principal, document=document, reason="申请材料不实")
    document.refresh_from_db()
    assert (document.state, document.revoked_by, document.revoked_reason) == (
        "revoked",
        world.admin,
        "申请材料不实",
    )
    with pytest.raises(Conflict):
        document_revoke(actor=world.admin.principal, document=document, reason="再次")
    page = Client().get(reverse("documents:verify_code", args=[document.verification_code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "已撤销" in html and "申请材料不实" in html
    # The application has no valid table any more: the download says so and issues none.
    client.force_login(world.company_user)
    response = client.get(reverse("reserve:annex", args=[app.pk, "pdf"]), follow=True)
    assert "已撤销" in response.content.decode()
    assert IssuedDocument.objects.count() == 1


def test_the_downloads_send_the_stored_bytes_and_the_digest_is_of_them(client, world, approve):
    app = approve()
    client.force_login(world.company_user)
    pdf = client.get(reverse("reserve:annex", args=[app.pk, "pdf"])).content
    document = annex_of(app)
    assert bytes(document.pdf) == pdf and document.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    xlsx = response_bytes(client.get(reverse("reserve:annex", args=[app.pk, "xlsx"])))
    assert bytes(document.xlsx) == xlsx and document.xlsx_sha256 == hashlib.sha256(xlsx).hexdigest()
    # Again, through the page, the API and the verify page: the same bytes, never drawn again.
    assert client.get(reverse("reserve:annex", args=[app.pk, "pdf"])).content == pdf
    api = client.get(f"/api/v1/reserve/applications/{app.pk}/annex.pdf")
    assert api.status_code == 200 and api.content == pdf
    public = Client().get(reverse("documents:verify_download", args=[document.verification_code, "pdf"]))
    assert public.content == pdf
    assert (
        response_bytes(
            Client().get(reverse("documents:verify_download", args=[document.verification_code, "xlsx"]))
        )
        == xlsx
    )
    assert AuditEvent.objects.filter(action="documents.store").count() == 1


def test_the_database_refuses_to_change_a_stored_file_or_what_a_document_states(client, world, approve):
    app = approve()
    client.force_login(world.company_user)
    client.get(reverse("reserve:annex", args=[app.pk, "pdf"]))
    document = annex_of(app)
    for change in ({"pdf": b"%PDF-forged", "pdf_sha256": "0" * 64}, {"figures": {}}, {"number": 99}):
        with pytest.raises(DatabaseError), transaction.atomic():
            IssuedDocument.objects.filter(pk=document.pk).update(**change)
    document.refresh_from_db()
    assert hashlib.sha256(bytes(document.pdf)).hexdigest() == document.pdf_sha256


def test_an_annex_in_any_other_format_is_not_found(client, world, approve):
    app = approve()
    client.force_login(world.company_user)
    for fmt in ("doc", "html", "PDF", "pdf.exe"):
        assert client.get(f"/reserve/applications/{app.pk}/annex.{fmt}").status_code == 404
    code = annex_of(app).verification_code
    assert Client().get(f"/verify/{code}/file.doc").status_code == 404
    assert annex_of(app).pdf is None  # nothing drawn for a refused format


def test_an_application_approved_before_documents_were_recorded_gets_its_annex_on_first_download(
    client, world, approve
):
    app = approve()
    IssuedDocument.objects.all().delete()  # as in a database from before this table
    client.force_login(world.company_user)
    assert client.get(reverse("reserve:annex", args=[app.pk, "pdf"])).status_code == 200
    document = annex_of(app)
    assert (document.issued_by, document.version) == (world.reviewer, 1)
    assert document.pdf is not None
    assert AuditEvent.objects.filter(
        action="documents.issue", object_id=str(document.pk), actor=None
    ).exists()


def test_the_verify_page_needs_no_login_and_tells_nothing_about_a_wrong_code(world, approve):
    app = approve()
    document = annex_of(app)
    anonymous = Client()
    form = anonymous.get(reverse("documents:verify"))
    assert form.status_code == 200 and 'name="code"' in form.content.decode()
    sent = anonymous.get(reverse("documents:verify"), {"code": document.verification_code})
    assert sent.status_code == 302 and sent["Location"].endswith(f"/verify/{document.verification_code}/")
    page = anonymous.get(sent["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'data-state="valid"' in html
    for fact in (
        document.code,
        "排污总量指标管理信息表",
        world.company.name,
        app.project_name,
        "苏州工业园区生态环境局",
    ):
        assert fact in html, fact
    wrong = document.verification_code[:-1] + ("A" if document.verification_code[-1] != "A" else "B")
    for typed in ("a/b", "../x", "码" * 8, "x" * 65):
        response = anonymous.get(reverse("documents:verify"), {"code": typed})
        assert response.status_code == 200 and "未找到该验证码对应的签发文件" in response.content.decode()
    for code in (wrong, "short", "x" * 32):
        response = anonymous.get(reverse("documents:verify_code", args=[code]))
        body = response.content.decode()
        assert response.status_code == 404 and "未找到该验证码对应的签发文件" in body
        assert world.company.name not in body and document.code not in body
        assert anonymous.get(reverse("documents:verify_download", args=[code, "pdf"])).status_code == 404


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_approvals_at_the_same_moment_number_their_annexes_without_gaps_or_repeats(world, p, stock, draft):
    """Four reviewers approve four applications at once through the API, on PostgreSQL."""
    count = 4
    stock(world.zone_a, "VOCS", 10 * T)
    apps = [
        services.application_submit(
            actor=world.company_user.principal,
            application=draft([line(p["VOCS"], project_env=T)], name=f"项目{n}"),
        )
        for n in range(count)
    ]
    clients = [signed_in(reviewer) for reviewer in (world.reviewer, world.reviewer2) * 2]

    def act(n: int) -> int:
        url = f"/api/v1/reserve/applications/{apps[n].pk}/approve"
        return clients[n].post(url, {"reason": "同意"}, content_type="application/json").status_code

    assert run_at_once(act, count, timeout=TIMEOUT) == [200] * count
    for app in apps:
        app.refresh_from_db()
        assert app.status == ApplicationStatus.APPROVED
    numbers = sorted(
        IssuedDocument.objects.filter(kind=DocumentKind.ANNEX_1).values_list("number", flat=True)
    )
    assert numbers == list(range(1, count + 1))
    counter = DocumentCounter.objects.get(kind=DocumentKind.ANNEX_1)
    assert counter.last == count
