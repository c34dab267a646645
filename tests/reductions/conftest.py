"""Reduction-library fixtures: real small files, and a complete project ready to submit."""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from totalquota.common.files import OLE2_MAGIC
from totalquota.reductions import services
from totalquota.registry.models import Pollutant


def pdf_bytes(change: Any = None) -> bytes:
    """A real one-page PDF written by pypdf; ``change(writer)`` may add to it first."""
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if change is not None:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


MINIMAL_PDF = pdf_bytes()


def image_bytes(kind: str, size: tuple[int, int] = (8, 8), noise: bool = False, **options: Any) -> bytes:
    """A real image encoded by Pillow (``noise`` makes it large and incompressible)."""
    if noise:
        image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 220, 240))
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A real OLE2 compound file (version 3, 512-byte sectors) holding ``streams`` at its root,
    as Word, Excel and PowerPoint 97-2003 write them. Streams are padded to 4096 bytes so they
    live in ordinary sectors (no mini stream)."""
    end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    datas = [streams[n].ljust(4096, b"\x00") for n in names]
    dir_sectors = (1 + len(names) + 3) // 4
    fat = [fat_sector] + [2 + i for i in range(dir_sectors - 1)] + [end]
    starts = []
    for data in datas:
        start = len(fat)
        starts.append(start)
        fat += [start + i + 1 for i in range(len(data) // 512 - 1)] + [end]
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = none, right: int = none) -> bytes:
        encoded = (name.encode("utf-16-le") + b"\x00\x00") if name else b""
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", none, right, child)
            + b"\x00" * 36
            + struct.pack("<IQ", start, size)
        )

    # The root's child is the first stream, the others its right siblings (all black: valid).
    entries = [entry("Root Entry", 5, end, 0, child=1 if names else none)]
    for i, (name, start, data) in enumerate(zip(names, starts, datas, strict=True)):
        entries.append(entry(name, 2, start, len(data), right=i + 2 if i + 1 < len(names) else none))
    while len(entries) % 4:
        entries.append(entry("", 0, 0, 0))
    header = (
        OLE2_MAGIC
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0, 0)
        + struct.pack("<I", free) * 108
    )
    return header + struct.pack("<128I", *fat) + b"".join(entries) + b"".join(datas)


def png_bytes() -> bytes:
    """A real 1 × 1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


WORD_DOCUMENT = (
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>验收意见</w:t></w:r></w:p></w:body></w:document>"
)


def docx_bytes(*, macro: bool = False, document_xml: str = WORD_DOCUMENT) -> bytes:
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
        z.writestr("word/document.xml", document_xml)
    return out.getvalue()


def ole2_bytes(stream: str = "WordDocument", **more: bytes) -> bytes:
    """A real legacy Office file with its main ``stream`` (and any ``more`` streams)."""
    return compound_file({stream: b"\xec\xa5\xc1\x00" + b"\x00" * 600, **more})


def fake_ole2_bytes(stream: str = "WordDocument") -> bytes:
    """The OLE2 magic and a stream name in UTF-16, and nothing of a compound file's structure."""
    return OLE2_MAGIC + b"\x00" * 504 + stream.encode("utf-16-le") + b"\x00\x00" + b"\x00" * 64


def upload(
    content: bytes, name: str = "验收意见.pdf", content_type: str = "application/pdf"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf(name: str = "验收意见.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    return upload(MINIMAL_PDF + extra, name)


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def at(day: str | dt.date, hour: int = 10) -> dt.datetime:
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def clock(monkeypatch):
    """Sets the platform's clock: services, ``auto_now`` fields and ``localdate`` all follow it."""

    def set_to(moment: dt.datetime | str | dt.date) -> None:
        moment = moment if isinstance(moment, dt.datetime) else at(moment)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


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
    actor = actor or world.officer.principal
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
