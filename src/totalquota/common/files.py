"""Uploaded documents: what a file really is, from its bytes, and how it is kept and sent.

Used by every upload of a document a person reads: reduction evidence (RED-3 (3)) and the
documents of a quota application (RES-2). ``check_upload`` limits the size and checks the
content, ``storing`` keeps the bytes under their digest, ``download`` sends them back through a
view that has checked who asks (uploads have no URL of their own).

Names and browser-declared types are not trusted, and neither is a file's first few bytes: a file
is accepted only when its content parses as what its magic number claims, all of it —

- a PDF that pypdf reads, with no active content (JavaScript, launch or import actions,
  additional actions (``/AA``), embedded files, XFA forms, rich media);
- a PNG, JPEG, GIF or WebP image that Pillow decodes completely, with nothing but padding after
  the image's own end (no HTML or script tacked on);
- an Office Open XML document (docx/xlsx/pptx) whose every XML part parses with defusedxml without
  a DTD and whose main part is the document it names; macro-enabled variants are refused;
- a legacy OLE2 Office file (doc/xls/ppt) whose directory olefile reads and that holds the main
  stream of its kind at its root; files with VBA macros are refused.

And no HTML in the first kilobytes of a PDF or an image, where a browser that sniffs would find it
(the structure of Office files is checked instead: their first sectors may hold the document's text).
Each refusal is a Chinese message saying what was found.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import struct
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import olefile
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.core.files.base import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from totalquota.common.xlsx import BROKEN_ZIP, scan_xml_parts
from totalquota.lib.errors import RuleViolation, ValidationFailed

PDF = "application/pdf"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_MAIN = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        "document",
    ),
    "xl/workbook.xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        "workbook",
    ),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
        "presentation",
    ),
}
OLE2_STREAMS = [
    ("WordDocument", "application/msword", "doc"),
    ("Workbook", "application/vnd.ms-excel", "xls"),
    ("Book", "application/vnd.ms-excel", "xls"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint", "ppt"),
]
ACCEPTED_LABEL = "PDF、图片（PNG/JPEG/GIF/WebP）或 Office 文档（Word/Excel/PowerPoint）"

# What a browser would take for a web page. Looked for in the first kilobytes of every file and in
# whatever follows the end of an image or of a PDF.
MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|frameset|object|embed|svg)\b|javascript:",
    re.IGNORECASE,
)
HEAD_BYTES = 4096
# An uploaded image is a photo or a scan; more pixels than this is a decompression bomb.
MAX_PIXELS = 100_000_000
# Structures a PDF walk visits at most (a real document has a few thousand objects).
MAX_PDF_OBJECTS = 200_000

# Keys and action types of a PDF that run something or carry something: refused wherever they are.
PDF_ACTIVE_KEYS = {
    "/JS": "JavaScript 脚本",
    "/JavaScript": "JavaScript 脚本",
    "/AA": "自动触发的动作（/AA）",
    "/EmbeddedFiles": "嵌入的文件",
    "/EmbeddedFile": "嵌入的文件",
    "/XFA": "XFA 动态表单",
    "/RichMedia": "富媒体内容",
}
PDF_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript 脚本",
    "/Launch": "启动外部程序的动作（/Launch）",
    "/ImportData": "导入数据的动作",
    "/SubmitForm": "提交表单的动作",
    "/GoToE": "打开嵌入文件的动作",
    "/RichMediaExecute": "富媒体执行动作",
    "/Rendition": "多媒体播放动作",
    "/Sound": "声音播放动作",
    "/Movie": "影片播放动作",
}
PDF_ACTIVE_SUBTYPES = {
    "/FileAttachment": "文件附件注释",
    "/RichMedia": "富媒体内容",
    "/Screen": "多媒体注释",
    "/Movie": "影片注释",
    "/Sound": "声音注释",
    "/3D": "3D 内容",
}


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str
    size: int
    sha256: str


class UnsupportedFile(ValueError):
    pass


# --- images -------------------------------------------------------------------------------------
IMAGE_KINDS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}


def _image_magic(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _png_end(data: bytes) -> int:
    """Offset just past the IEND chunk, walking the chunks."""
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    raise UnsupportedFile("PNG 图片不完整：缺少结束块（IEND）")


def _jpeg_end(data: bytes) -> int:
    """Offset just past the EOI marker of the main image: segments are skipped by their length,
    entropy-coded data is scanned for the next marker (FF followed by neither 00 nor RSTn)."""
    pos = 2
    in_scan = False
    while pos < len(data) - 1:
        if in_scan:
            nxt = data.find(b"\xff", pos)
            if nxt < 0 or nxt + 1 >= len(data):
                break
            marker = data[nxt + 1]
            if marker == 0x00 or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                pos = nxt + 1 if marker == 0xFF else nxt + 2
                continue
            pos = nxt
            in_scan = False
            continue
        if data[pos] != 0xFF:
            raise UnsupportedFile("JPEG 图片结构不正确")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > len(data):
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data follows the header
            in_scan = True
    raise UnsupportedFile("JPEG 图片不完整：缺少结束标记（EOI）")


def _gif_end(data: bytes) -> int:
    """Offset just past the trailer (0x3B), walking the blocks."""

    def table_size(flags: int) -> int:
        return 3 * (2 ** ((flags & 0x07) + 1)) if flags & 0x80 else 0

    def skip_sub_blocks(pos: int) -> int:
        while pos < len(data):
            size = data[pos]
            pos += 1 + size
            if size == 0:
                return pos
        raise UnsupportedFile("GIF 图片不完整")

    pos = 13 + table_size(data[10]) if len(data) > 10 else len(data)
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            pos = skip_sub_blocks(pos + 2)
        elif block == 0x2C:  # image descriptor, local table, LZW code size, data sub-blocks
            if pos + 10 > len(data):
                break
            pos = skip_sub_blocks(pos + 10 + table_size(data[pos + 9]) + 1)
        else:
            raise UnsupportedFile("GIF 图片结构不正确")
    raise UnsupportedFile("GIF 图片不完整：缺少结束标记")


def _webp_end(data: bytes) -> int:
    (size,) = struct.unpack("<I", data[4:8])
    return 8 + size + (size & 1)


IMAGE_END: dict[str, Callable[[bytes], int]] = {
    "PNG": _png_end,
    "JPEG": _jpeg_end,
    "GIF": _gif_end,
    "WEBP": _webp_end,
}


def _image(data: bytes, magic: str) -> tuple[str, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != magic:
                    raise UnsupportedFile("图片格式与文件内容不符")
                if probe.width * probe.height > MAX_PIXELS:
                    raise UnsupportedFile("图片像素过多，请压缩后上传")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except UnsupportedFile:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnsupportedFile("图片像素过多，请压缩后上传") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise UnsupportedFile("图片已损坏或无法解码，请重新导出后上传") from None
    end = IMAGE_END[magic](data)
    trailing = data[end:]
    # Cameras append further pictures after a JPEG's end (multi-picture format); anything after
    # other images, and markup after any, is something else riding along.
    if trailing.strip(b"\x00\r\n\t ") and (MARKUP.search(trailing) or magic != "JPEG"):
        raise UnsupportedFile("图片结束后还附带其他内容（如网页或脚本），不予接受，请重新导出图片后上传")
    return IMAGE_KINDS[magic]


# --- Office Open XML ----------------------------------------------------------------------------
def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ooxml(file: IO[bytes]) -> tuple[str, str] | None:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            infos = archive.infolist()
            if len(infos) > 10_000 or sum(i.file_size for i in infos) > 500 * 1024 * 1024:
                raise UnsupportedFile("Office 文档解压后过大或部件过多，不予接受")
            if archive.getinfo("[Content_Types].xml").file_size > 1_000_000:  # a real one is a few KB
                return None
            manifest = archive.read("[Content_Types].xml").decode("utf-8", "replace").lower()
            if (
                "macroenabled" in manifest
                or "vbaproject" in manifest
                or any(n.lower().endswith("vbaproject.bin") for n in names)
            ):
                raise UnsupportedFile(
                    "含宏的 Office 文档不予接受，请另存为不含宏的格式（docx/xlsx/pptx）或 PDF"
                )
            try:
                scan_xml_parts(archive)
            except DefusedXmlException:
                raise UnsupportedFile("Office 文档含有 DTD 或实体声明，不予接受，请重新另存后上传") from None
            except ParseError:
                raise UnsupportedFile("Office 文档已损坏：其中的 XML 部件格式不正确") from None
            for part, (content_type, extension, root) in OOXML_MAIN.items():
                if part in names:
                    main = fromstring(archive.read(part), forbid_dtd=True)
                    if _local_name(main.tag) != root:
                        raise UnsupportedFile(f"Office 文档的主体部件（{part}）不是{extension}文档")
                    return content_type, extension
    except BROKEN_ZIP:
        return None
    return None


# --- legacy OLE2 Office -------------------------------------------------------------------------
def _ole2(data: bytes) -> tuple[str, str] | None:
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
            if any(part in ("macros", "_vba_project_cur", "vba") for s in streams for part in s.split("/")):
                raise UnsupportedFile("含宏的 Office 文档不予接受，请另存为不含宏的格式或 PDF")
            for name, content_type, extension in OLE2_STREAMS:
                if ole.exists(name) and ole.get_type(name) == olefile.STGTY_STREAM and ole.get_size(name) > 0:
                    return content_type, extension
    except UnsupportedFile:
        raise
    except Exception:  # olefile raises many kinds (OSError, struct.error, IndexError…) for a fake
        raise UnsupportedFile(
            "旧版 Office 文件已损坏或结构不正确，请另存为 docx/xlsx/pptx 或 PDF 后上传"
        ) from None
    raise UnsupportedFile("旧版 Office 文件中没有 Word、Excel 或 PowerPoint 的正文，不予接受")


# --- PDF ----------------------------------------------------------------------------------------
def _pdf_active_content(reader: PdfReader) -> str | None:
    """The first kind of active content found walking every object reachable from the trailer."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            return "过多的对象"
        if isinstance(obj, DictionaryObject | StreamObject):
            for name, value in obj.items():
                if name in PDF_ACTIVE_KEYS:
                    return PDF_ACTIVE_KEYS[name]
                if name == "/S" and isinstance(value, NameObject) and value in PDF_ACTIVE_ACTIONS:
                    return PDF_ACTIVE_ACTIONS[value]
                if name == "/Subtype" and isinstance(value, NameObject) and value in PDF_ACTIVE_SUBTYPES:
                    return PDF_ACTIVE_SUBTYPES[value]
                if name == "/Parent":  # up the page tree: already on the stack from the root down
                    continue
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


def _pdf(data: bytes) -> tuple[str, str]:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedFile("加密的 PDF 无法检查内容，请去除密码后上传")
        if len(reader.pages) < 1:
            raise UnsupportedFile("PDF 文件没有页面")
        found = _pdf_active_content(reader)
    except UnsupportedFile:
        raise
    except Exception:  # pypdf raises many kinds for a file that only starts like a PDF
        raise UnsupportedFile("PDF 文件已损坏或无法解析，请重新导出后上传") from None
    if found:
        raise UnsupportedFile(f"PDF 文件含有{found}，不予接受：请打印为 PDF 或另存为普通 PDF 后上传")
    end = data.rfind(b"%%EOF")
    if end >= 0 and MARKUP.search(data[end:]):
        raise UnsupportedFile("PDF 文件结束后还附带网页或脚本内容，不予接受")
    return PDF, "pdf"


def sniff(file: IO[bytes]) -> Sniffed:
    """The detected type, size and SHA-256 of ``file`` (read from its start; position restored to
    the start). Raises :class:`UnsupportedFile` with a Chinese message for anything else.

    The caller limits the size before (evidence is at most ``UPLOAD_MAX_BYTES``), so the content
    is checked in memory.
    """
    file.seek(0)
    data = file.read()
    file.seek(0)
    if not data:
        raise UnsupportedFile("文件是空的")
    head = data[:64]
    magic = _image_magic(head)
    is_pdf = head.startswith(b"%PDF-")
    if (is_pdf or magic) and MARKUP.search(data[:HEAD_BYTES]):
        raise UnsupportedFile("文件开头含有网页或脚本内容（HTML），不予接受")
    kind: tuple[str, str] | None = None
    if is_pdf:
        kind = _pdf(data)
    elif magic:
        kind = _image(data, magic)
    elif head.startswith(b"PK\x03\x04"):
        kind = _ooxml(file)
        file.seek(0)
    elif head.startswith(OLE2_MAGIC):
        kind = _ole2(data)
    if kind is None:
        raise UnsupportedFile(
            f"文件内容不是可接受的类型：仅接受{ACCEPTED_LABEL}（按文件内容判断，与文件名无关）"
        )
    return Sniffed(kind[0], kind[1], len(data), hashlib.sha256(data).hexdigest())


# --- keeping and sending an upload --------------------------------------------------------------
def upload_limit_mb() -> int:
    """The per-file limit in MB, as pages state it."""
    return int(settings.UPLOAD_MAX_BYTES // (1024 * 1024))


def check_upload(upload: Any, *, clause: str) -> Sniffed:
    """The size limit (``UPLOAD_MAX_BYTES``) and the content check of ``upload``, each refusal a
    ``RuleViolation`` on the ``file`` field under ``clause``; nothing is stored."""
    if upload is None:
        raise ValidationFailed(gettext("请选择要上传的文件"), field="file")
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise RuleViolation(
            gettext("文件过大：{v0:.1f} MB，单个文件不能超过 {v1:.0f} MB").format(
                v0=size / 1048576, v1=limit / 1048576
            ),
            field="file",
            clause=clause,
        )
    try:
        found = sniff(upload)
    except UnsupportedFile as exc:
        raise RuleViolation(str(exc), field="file", clause=clause) from None
    if found.size > limit:
        raise RuleViolation(
            gettext("文件过大：单个文件不能超过 {v0:.0f} MB").format(v0=limit / 1048576),
            field="file",
            clause=clause,
        )
    return found


def safe_name(name: str) -> str:
    """The uploaded name as it may be shown and offered again: no folders, no control characters,
    at most 200 characters (the extension kept)."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if len(base) > 200:
        stem, ext = os.path.splitext(base)
        base = stem[: 200 - len(ext)] + ext
    return base or "file"


@contextlib.contextmanager
def storing(field: FieldFile, upload: Any, found: Sniffed, target: str) -> Iterator[str]:
    """Put the checked ``upload`` at ``target`` (its digest path, from the field's ``upload_to``)
    and name it on ``field``; the body of the ``with`` saves the record. The same bytes already on
    disk are shared rather than written again; bytes this call wrote are removed again if the body
    fails (a caller whose enclosing transaction rolls back later leaves a file no row names)."""
    storage = field.storage
    written = not storage.exists(target)
    if written:
        upload.seek(0)
        field.save(f"{found.sha256}.{found.extension}", File(upload), save=False)
    else:
        field.name = target
    stored = field.name or target
    try:
        yield stored
    except BaseException:
        if written:
            storage.delete(stored)
        raise


def download(field: FieldFile, *, content_type: str, filename: str) -> FileResponse:
    """The stored file as an attachment, never rendered by the browser (``nosniff`` and a
    sandboxing policy); 404 when the bytes are gone. The caller has checked access."""
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("文件不存在")) from None
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
