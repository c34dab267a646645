"""Evidence is checked for what it really is (RED-3 (3)): decoded, parsed, active content refused.

Every hostile file here is built the way an attacker would build it, and every accepted one is a
real file written by the library that makes such files (Pillow, pypdf, openpyxl).
"""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from tests.reductions.conftest import (
    MINIMAL_PDF,
    compound_file,
    docx_bytes,
    fake_ole2_bytes,
    image_bytes,
    ole2_bytes,
    pdf_bytes,
    png_bytes,
    upload,
)
from totalquota.common.files import UnsupportedFile, sniff
from totalquota.lib.errors import RuleViolation
from totalquota.reductions import services
from totalquota.reductions.models import Evidence

pytestmark = pytest.mark.django_db

HTML = (
    b"<html><body><script>fetch('/api/v1/enterprises').then(r=>r.text()).then(alert)</script></body></html>"
)


def js_action(code: str = "app.alert(1)") -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Action"),
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject(code),
        }
    )


def open_action_js(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(js_action())


def names_js(writer: PdfWriter) -> None:
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert('document level')"))


def launch(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )


def page_aa(writer: PdfWriter) -> None:
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): js_action()})


def embedded(writer: PdfWriter) -> None:
    writer.add_attachment("payload.exe", b"MZ\x90\x00")


def xfa(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): TextStringObject("<xdp:xdp/>")}
    )


def link_js(writer: PdfWriter) -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(50), FloatObject(50)]
            ),
            NameObject("/A"): js_action(),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def link_uri(writer: PdfWriter) -> None:
    from pypdf.annotations import Link

    writer.add_annotation(0, Link(rect=(0, 0, 50, 50), url="https://sthjj.suzhou.gov.cn/"))


def open_at_first_page(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, NameObject("/Fit")]
    )


def hand_written_escaped_js() -> bytes:
    """``/J#61vaScript`` is ``/JavaScript`` once the name is decoded: a byte search would miss it."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
        b"<</S/J#61vaScript/J#53(app.alert(1))>>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj".encode() + body + b"endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def pdf_html_polyglot() -> bytes:
    """A PDF whose header comment is a web page: a valid PDF and, to a sniffing browser, HTML."""
    first, rest = MINIMAL_PDF.split(b"\n", 1)
    return first + b"\n%" + HTML + b"\n" + rest


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    wb = Workbook()
    wb.active.append(["台账", 1.5])
    wb.save(out)
    return out.getvalue()


def with_part(content: bytes, part: str, data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, data if info.filename == part else source.read(info))
    return out.getvalue()


def camera_exif() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "苏州相机厂"  # Make
    exif[0x0132] = "2025:10:20 09:30:00"  # DateTime
    return exif.tobytes()


def animated_gif() -> bytes:
    from PIL import Image

    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


REFUSED = {
    # the four cases found from outside
    "fake OLE file": (fake_ole2_bytes(), "旧版.doc", "旧版 Office 文件已损坏"),
    "PNG magic followed by HTML": (b"\x89PNG\r\n\x1a\n" + HTML, "照片.png", "网页或脚本"),
    "PDF/HTML polyglot": (pdf_html_polyglot(), "验收.pdf", "网页或脚本"),
    "PDF with /OpenAction /JavaScript": (pdf_bytes(open_action_js), "验收.pdf", "JavaScript"),
    # the rest of active content in PDFs
    "PDF with document-level JavaScript": (pdf_bytes(names_js), "验收.pdf", "JavaScript"),
    "PDF with an escaped /JavaScript name": (hand_written_escaped_js(), "验收.pdf", "JavaScript"),
    "PDF with a Launch action": (pdf_bytes(launch), "验收.pdf", "Launch"),
    "PDF with page additional actions": (pdf_bytes(page_aa), "验收.pdf", "/AA"),
    "PDF with an embedded file": (pdf_bytes(embedded), "验收.pdf", "嵌入的文件"),
    "PDF with an XFA form": (pdf_bytes(xfa), "验收.pdf", "XFA"),
    "PDF with a JavaScript link": (pdf_bytes(link_js), "验收.pdf", "JavaScript"),
    "PDF with HTML after its end": (MINIMAL_PDF + HTML, "验收.pdf", "网页或脚本"),
    "PDF header on garbage": (b"%PDF-1.7\n" + b"\x00" * 200, "验收.pdf", "PDF 文件已损坏"),
    # images
    "PNG with HTML after IEND": (image_bytes("PNG", (64, 64), noise=True) + HTML, "照片.png", "附带其他内容"),
    "PNG with a zip after IEND": (png_bytes() + docx_bytes(), "照片.png", "附带其他内容"),
    "truncated PNG": (image_bytes("PNG", (64, 64), noise=True)[:3000], "照片.png", "图片"),
    "JPEG with HTML after EOI": (
        image_bytes("JPEG", (128, 128), noise=True) + HTML,
        "现场.jpg",
        "附带其他内容",
    ),
    "JPEG magic then HTML": (b"\xff\xd8\xff\xe0" + HTML, "现场.jpg", "网页或脚本"),
    "JPEG header on zeros": (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "现场.jpg", "无法解码"),
    "GIF with data after the trailer": (
        image_bytes("GIF") + b"<?php system($_GET[1]); ?>",
        "a.gif",
        "附带其他内容",
    ),
    "WebP with data after the RIFF": (image_bytes("WEBP") + b"trailing", "a.webp", "附带其他内容"),
    # Office files
    "OLE file without a document stream": (compound_file({"Data": b"x"}), "旧版.doc", "没有 Word"),
    "OLE file with macros": (ole2_bytes(Macros=b"Attribute VB_Name"), "旧版.doc", "含宏"),
    "docx with a DTD": (
        docx_bytes(document_xml='<!DOCTYPE d [<!ENTITY x "y">]><w:document xmlns:w="urn:w">&x;</w:document>'),
        "说明.docx",
        "DTD",
    ),
    "docx with malformed XML": (docx_bytes(document_xml="<w:document>"), "说明.docx", "XML 部件格式不正确"),
    "docx whose main part is not a document": (
        docx_bytes(document_xml='<html xmlns="http://www.w3.org/1999/xhtml"/>'),
        "说明.docx",
        "主体部件",
    ),
    "xlsx with a billion-laughs shared part": (
        with_part(
            xlsx_bytes(),
            "xl/workbook.xml",
            b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><workbook>&b;</workbook>',
        ),
        "台账.xlsx",
        "DTD",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_crafted_files_are_refused_with_a_clear_message_and_nothing_is_stored(make_project, world, case):
    content, name, message = REFUSED[case]
    project = make_project(evidence=False)
    with pytest.raises(RuleViolation, match=message) as caught:
        services.evidence_add(
            actor=world.officer.principal, project=project, kind="acceptance", upload=upload(content, name)
        )
    assert caught.value.clause == "RED-3"
    assert not Evidence.objects.filter(project=project).exists()


ACCEPTED = {
    "PDF written by pypdf": (MINIMAL_PDF, "application/pdf"),
    "PDF with a web link": (pdf_bytes(link_uri), "application/pdf"),
    "PDF opening at its first page": (pdf_bytes(open_at_first_page), "application/pdf"),
    "PDF with an incremental-update tail": (MINIMAL_PDF + b"%comment\n", "application/pdf"),
    "PNG": (image_bytes("PNG", (64, 64), noise=True), "image/png"),
    "baseline JPEG": (image_bytes("JPEG", (120, 90), noise=True), "image/jpeg"),
    "progressive JPEG": (image_bytes("JPEG", (120, 90), noise=True, progressive=True), "image/jpeg"),
    "JPEG with EXIF": (
        image_bytes("JPEG", exif=camera_exif()),
        "image/jpeg",
    ),
    "JPEG with a second picture appended (multi-picture)": (
        image_bytes("JPEG", (32, 32), noise=True) + image_bytes("JPEG"),
        "image/jpeg",
    ),
    "GIF": (image_bytes("GIF", (16, 16), noise=True), "image/gif"),
    "animated GIF": (animated_gif(), "image/gif"),
    "WebP": (image_bytes("WEBP", (40, 40), noise=True), "image/webp"),
    "docx": (docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx written by openpyxl": (
        xlsx_bytes(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "doc": (ole2_bytes("WordDocument", Data=b"pictures"), "application/msword"),
    "ppt": (ole2_bytes("PowerPoint Document"), "application/vnd.ms-powerpoint"),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_real_files_of_every_accepted_kind_are_still_accepted(case):
    content, detected = ACCEPTED[case]
    assert sniff(io.BytesIO(content)).content_type == detected


def test_an_upload_through_the_api_of_a_pdf_with_javascript_is_a_422_problem(client, make_project, world):
    project = make_project(evidence=False)
    client.force_login(world.officer)
    response = client.post(
        f"/api/v1/reductions/projects/{project.pk}/evidence",
        {"kind": "acceptance", "file": upload(pdf_bytes(open_action_js), "验收.pdf")},
    )
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert "JavaScript" in response.json()["detail"]
    assert not Evidence.objects.filter(project=project).exists()


def test_a_decompression_bomb_image_is_refused():
    bomb = image_bytes("PNG", (12_000, 12_000))  # 144 million pixels of one colour: a few hundred KB
    with pytest.raises(UnsupportedFile, match="像素过多"):
        sniff(io.BytesIO(bomb))
