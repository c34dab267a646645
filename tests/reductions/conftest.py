"""Reduction-library fixtures: real small files, and a complete project ready to submit."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from totalquota.reductions import services
from totalquota.registry.models import Pollutant

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes() -> bytes:
    """A real 1 × 1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def docx_bytes(*, macro: bool = False) -> bytes:
    out = io.BytesIO()
    main = (
        "application/vnd.ms-word.document.macroEnabled.main+xml"
        if macro
        else ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
    )
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>',
        )
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def ole2_bytes(stream: str = "WordDocument") -> bytes:
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + stream.encode("utf-16-le")
        + b"\x00\x00"
        + b"\x00" * 64
    )


def upload(
    content: bytes, name: str = "验收意见.pdf", content_type: str = "application/pdf"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf(name: str = "验收意见.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    return upload(MINIMAL_PDF + extra, name)


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def pollutant(code: str) -> Pollutant:
    return Pollutant.objects.get(code=code)


def project_data(today: dt.date, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "喷涂线油性漆改水性漆项目",
        "address": "苏州工业园区星湖街 100 号",
        "builder": "苏州甲电子有限公司",
        "contact_name": "王伟",
        "contact_phone": "0512-62000001",
        "start_date": today - dt.timedelta(days=200),
        "completion_date": today - dt.timedelta(days=60),
        "acceptance_date": today - dt.timedelta(days=30),
        "investment": "85.5",
        "project_type": "structural",
        "subtype": "line_shutdown",
        "operating_status": "shut_down",
        "eia_approval_number": "苏园环建〔2019〕88 号",
    }
    data.update(overrides)
    return data


def ready_project(world, today: dt.date, *, actor=None, evidence: bool = True, **overrides: Any):
    """A complete zone-A project of the company with a closure line (2.5 t/a VOCs), its
    acceptance document and its accounting basis: everything RED-2 and RED-3 ask for."""
    actor = actor or world.officer
    overrides.setdefault("enterprise", world.company)
    project = services.project_create(actor=actor, **project_data(today, **overrides))
    services.line_set(
        actor=actor,
        project=project,
        pollutant=pollutant("VOCS"),
        method="closure",
        inputs={"baseline": "2.5", "basis": "2024 年排污许可执行报告"},
    )
    if evidence:
        services.evidence_add(actor=actor, project=project, kind="acceptance", upload=pdf())
        services.evidence_add(
            actor=actor, project=project, kind="accounting", upload=pdf("核算说明.pdf", b"%a")
        )
    project.refresh_from_db()
    return project


@pytest.fixture
def make_project(world, today):
    def make(**kwargs: Any):
        return ready_project(world, today, **kwargs)

    return make
