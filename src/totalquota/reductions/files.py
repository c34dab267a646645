"""What an uploaded file really is, from its bytes (RED-3 (3) evidence).

Names and browser-declared types are not trusted: a file is accepted only when its content is a
PDF, a PNG/JPEG/GIF/WebP image, an Office Open XML document (a zip whose ``[Content_Types].xml``
names a Word, Excel or PowerPoint main part; macro-enabled variants are refused) or a legacy OLE2
Office file (Word, Excel, PowerPoint streams).
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from typing import IO

PDF = "application/pdf"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_MAIN = {
    "word/document.xml": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
}
OLE2_STREAMS = [
    ("WordDocument", "application/msword", "doc"),
    ("Workbook", "application/vnd.ms-excel", "xls"),
    ("Book", "application/vnd.ms-excel", "xls"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint", "ppt"),
]
ACCEPTED_LABEL = "PDF、图片（PNG/JPEG/GIF/WebP）或 Office 文档（Word/Excel/PowerPoint）"


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str
    size: int
    sha256: str


class UnsupportedFile(ValueError):
    pass


def _image(head: bytes) -> tuple[str, str] | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def _ooxml(file: IO[bytes]) -> tuple[str, str] | None:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1_000_000:  # a real manifest is a few kilobytes
                return None
            manifest = archive.read(info).decode("utf-8", "replace").lower()
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None
    if "macroenabled" in manifest or "vbaproject" in manifest:
        raise UnsupportedFile("含宏的 Office 文档不予接受，请另存为不含宏的格式（docx/xlsx/pptx）或 PDF")
    for part, kind in OOXML_MAIN.items():
        if part in names:
            return kind
    return None


def _ole2(file: IO[bytes]) -> tuple[str, str] | None:
    # The directory of a compound file names its streams in UTF-16LE; small files keep it near the
    # start, large ones anywhere, so the whole (size-limited) file is scanned.
    file.seek(0)
    data = file.read()
    for name, content_type, extension in OLE2_STREAMS:
        if name.encode("utf-16-le") + b"\x00\x00" in data:
            return content_type, extension
    return None


def sniff(file: IO[bytes]) -> Sniffed:
    """The detected type, size and SHA-256 of ``file`` (read from its start; position restored to
    the start). Raises :class:`UnsupportedFile` with a Chinese message for anything else."""
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    head = b""
    while chunk := file.read(1024 * 1024):
        if not head:
            head = chunk[:64]
        digest.update(chunk)
        size += len(chunk)
    if size == 0:
        raise UnsupportedFile("文件是空的")
    kind: tuple[str, str] | None = None
    if head.startswith(b"%PDF-"):
        kind = (PDF, "pdf")
    elif image := _image(head):
        kind = image
    elif head.startswith(b"PK\x03\x04"):
        kind = _ooxml(file)
    elif head.startswith(OLE2_MAGIC):
        kind = _ole2(file)
    file.seek(0)
    if kind is None:
        raise UnsupportedFile(
            f"文件内容不是可接受的类型：仅接受{ACCEPTED_LABEL}（按文件内容判断，与文件名无关）"
        )
    return Sniffed(kind[0], kind[1], size, digest.hexdigest())
