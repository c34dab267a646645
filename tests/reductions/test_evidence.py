"""Evidence uploads (RED-3 (3)): checked by content, size-limited, hashed, scoped downloads."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from tests.reductions.conftest import MINIMAL_PDF, docx_bytes, image_bytes, ole2_bytes, pdf, png_bytes, upload
from tests.xlsx_helpers import response_bytes
from totalquota.lib.errors import Conflict, RuleViolation
from totalquota.reductions import selectors, services
from totalquota.reductions.models import Evidence
from totalquota.reductions.services import evidence as evidence_services

pytestmark = pytest.mark.django_db


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "detected"),
    [
        (MINIMAL_PDF, "验收意见.pdf", "application/pdf"),
        (png_bytes(), "现场照片.png", "image/png"),
        (image_bytes("JPEG"), "现场.jpg", "image/jpeg"),
        (image_bytes("GIF"), "a.gif", "image/gif"),
        (image_bytes("WEBP"), "a.webp", "image/webp"),
        (
            docx_bytes(),
            "核算说明.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (xlsx_bytes(), "台账.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (ole2_bytes("WordDocument"), "旧版.doc", "application/msword"),
        (ole2_bytes("Workbook"), "旧版.xls", "application/vnd.ms-excel"),
        # The name does not matter: a PDF called .docx is stored as the PDF it is.
        (MINIMAL_PDF, "名不副实.docx", "application/pdf"),
    ],
)
def test_accepted_files_are_recognised_by_their_content(make_project, world, content, name, detected):
    project = make_project(evidence=False)
    evidence = services.evidence_add(
        actor=world.officer.principal, project=project, kind="acceptance", upload=upload(content, name)
    )
    assert evidence.content_type == detected
    assert evidence.sha256 == hashlib.sha256(content).hexdigest() and evidence.size_bytes == len(content)
    assert evidence.original_name == name
    assert evidence.file.read() == content


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 64, "验收.pdf", "不是可接受的类型"),
        (b"<html><script>alert(1)</script></html>", "报告.pdf", "不是可接受的类型"),
        (b"PK\x03\x04not really a zip", "a.docx", "不是可接受的类型"),
        (docx_bytes(macro=True), "宏.docm", "含宏"),
        (b"", "空.pdf", "空的"),
    ],
)
def test_wrong_file_types_are_refused_whatever_their_name_and_nothing_is_stored(
    make_project, world, content, name, message
):
    project = make_project(evidence=False)
    with pytest.raises(RuleViolation, match=message) as caught:
        services.evidence_add(
            actor=world.officer.principal, project=project, kind="acceptance", upload=upload(content, name)
        )
    assert caught.value.clause == "RED-3"
    assert not Evidence.objects.filter(project=project).exists()


def test_oversized_files_are_refused(make_project, world, settings, tmp_path):
    settings.UPLOAD_MAX_BYTES = 1024
    project = make_project(evidence=False)
    with pytest.raises(RuleViolation, match="文件过大"):
        services.evidence_add(
            actor=world.officer.principal, project=project, kind="acceptance", upload=pdf(extra=b"0" * 2000)
        )
    assert not Evidence.objects.filter(project=project).exists()
    assert not list((tmp_path / "media").rglob("*.pdf"))


def test_one_file_may_serve_as_two_kinds_of_evidence_of_a_project(
    make_project, world, django_capture_on_commit_callbacks
):
    project = make_project(evidence=False)
    first = services.evidence_add(
        actor=world.officer.principal, project=project, kind="acceptance", upload=pdf()
    )
    second = services.evidence_add(
        actor=world.officer.principal, project=project, kind="investment", upload=pdf("投资证明.pdf")
    )
    assert first.sha256 == second.sha256 and first.file.name == second.file.name
    assert sorted(project.evidence.values_list("kind", flat=True)) == ["acceptance", "investment"]
    requirements, _rules = selectors.evidence_requirements(project, on=timezone.localdate())
    assert {r.kind for r in requirements if r.satisfied} >= {"acceptance"}
    # Deleting one of them keeps the stored bytes the other still names.
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(actor=world.officer.principal, evidence=first)
    assert second.file.storage.exists(second.file.name)


def test_the_same_file_twice_as_one_kind_is_refused_and_nothing_is_written(make_project, world):
    project = make_project(evidence=False)
    services.evidence_add(actor=world.officer.principal, project=project, kind="acceptance", upload=pdf())
    before = Evidence.objects.count()
    with pytest.raises(Conflict, match="同一文件已作为“竣工验收材料”上传") as caught:
        services.evidence_add(
            actor=world.officer.principal, project=project, kind="acceptance", upload=pdf("另一个名字.pdf")
        )
    assert caught.value.field == "file"
    assert Evidence.objects.count() == before


def test_the_database_keeps_one_file_once_per_kind(make_project, world):
    project = make_project(evidence=False)
    kept = services.evidence_add(actor=world.officer.principal, project=project, kind="eia", upload=pdf())
    copy = Evidence(
        project=project,
        kind="eia",
        file=kept.file.name,
        original_name="x.pdf",
        size_bytes=kept.size_bytes,
        sha256=kept.sha256,
        content_type=kept.content_type,
        uploaded_by=world.officer,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_path_parts_and_control_characters_are_stripped_from_names(make_project, world):
    project = make_project(evidence=False)
    evidence = services.evidence_add(
        actor=world.officer.principal,
        project=project,
        kind="acceptance",
        upload=upload(MINIMAL_PDF, "../../etc/验收\x07.pdf"),
    )
    assert evidence.original_name == "验收.pdf"
    assert ".." not in evidence.file.name


def test_evidence_downloads_to_those_who_may_see_the_project_and_no_one_else(client, make_project, world):
    project = make_project()
    evidence = project.evidence.get(kind="acceptance")
    url = reverse("reductions:evidence_download", args=[evidence.pk])
    for person in (world.officer, world.company_user, world.third_party, world.reviewer, world.leader):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200, person
        assert response_bytes(response) == MINIMAL_PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in response["Content-Disposition"]
    for outsider in (world.other_officer, world.other_company_user):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_evidence_can_be_removed_while_preparing_but_not_after_submission(make_project, world):
    project = make_project()
    extra = services.evidence_add(
        actor=world.officer.principal, project=project, kind="investment", upload=pdf("发票.pdf", b"i")
    )
    services.evidence_delete(actor=world.officer.principal, evidence=extra)
    assert not Evidence.objects.filter(pk=extra.pk).exists()
    services.project_submit(actor=world.officer.principal, project=project)
    with pytest.raises(Conflict):
        services.evidence_delete(actor=world.officer.principal, evidence=project.evidence.first())


def test_the_same_bytes_on_two_projects_are_stored_once_and_outlive_one_deletion(
    make_project, world, tmp_path, django_capture_on_commit_callbacks
):
    first = make_project(evidence=False)
    second = make_project(evidence=False, name="第二个项目")
    a = services.evidence_add(
        actor=world.officer.principal, project=first, kind="acceptance", upload=pdf(extra=b"s")
    )
    b = services.evidence_add(
        actor=world.officer.principal, project=second, kind="eia", upload=pdf("批复.pdf", b"s")
    )
    assert a.file.name == b.file.name
    assert len([p for p in (tmp_path / "media").rglob("*") if p.is_file()]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(actor=world.officer.principal, evidence=a)
    b.refresh_from_db()
    assert b.file.read() == MINIMAL_PDF + b"s"
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(actor=world.officer.principal, evidence=b)
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]


def test_an_upload_that_fails_after_its_bytes_were_written_leaves_no_file_and_no_row(
    make_project, world, tmp_path, monkeypatch
):
    project = make_project(evidence=False)

    def broken_audit(**kwargs):
        raise RuntimeError("审计写入失败")

    monkeypatch.setattr(evidence_services, "record", broken_audit)
    with pytest.raises(RuntimeError):
        services.evidence_add(actor=world.officer.principal, project=project, kind="acceptance", upload=pdf())
    assert not Evidence.objects.exists()
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]


def test_the_sweep_lists_and_removes_only_old_files_that_no_record_names(make_project, world, tmp_path):
    import os
    import time

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    project = make_project(evidence=False)
    kept = services.evidence_add(
        actor=world.officer.principal, project=project, kind="acceptance", upload=pdf()
    )
    old_orphan = default_storage.save("reductions/evidence/ab/" + "ab" * 32, ContentFile(b"left over"))
    young_orphan = default_storage.save("reductions/evidence/cd/" + "cd" * 32, ContentFile(b"committing"))
    two_days_ago = time.time() - 2 * 86400
    for name in (old_orphan, kept.file.name):
        os.utime(default_storage.path(name), (two_days_ago, two_days_ago))

    out = io.StringIO()
    call_command("reductions_sweep_files", stdout=out)
    assert out.getvalue().splitlines() == [old_orphan, "发现无记录引用的文件 1 个（共检查 1 条佐证材料记录）"]
    assert default_storage.exists(old_orphan)

    out = io.StringIO()
    call_command("reductions_sweep_files", "--delete", stdout=out)
    assert "已删除无记录引用的文件 1 个" in out.getvalue()
    assert not default_storage.exists(old_orphan)
    assert default_storage.exists(young_orphan) and default_storage.exists(kept.file.name)
