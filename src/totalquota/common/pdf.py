"""Printable documents: a Django template rendered to PDF with WeasyPrint.

Bulletins, the ANNEX-1 table and notices are printed and stamped, so they are A4 PDFs with Chinese
text. Fonts come from the machine's fontconfig: the Noto CJK fonts the setup command installs
(``fonts-noto-cjk``); WeasyPrint embeds the subsets it uses, so the file reads the same anywhere.
A base print stylesheet (A4, margins, page numbers, bordered tables, right-aligned figures) is
applied first; callers add their own CSS after it.

Usage::

    content = render_pdf("reports/bulletin_pdf.html", {"bulletin": data})
    return pdf_response(content, "减排通报-2025Q4.pdf")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

PDF_CONTENT_TYPE = "application/pdf"
SANS = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
SERIF = '"Noto Serif CJK SC", "Noto Serif SC", "Source Han Serif SC", serif'

BASE_CSS = f"""
@page {{
  size: A4;
  margin: 18mm 15mm 20mm 15mm;
  @bottom-center {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font: 8pt {SANS}; color: #555; }}
}}
@page landscape {{ size: A4 landscape; }}
html {{ font-family: {SANS}; font-size: 10pt; line-height: 1.55; color: #111; }}
h1 {{ font-family: {SERIF}; font-size: 18pt; font-weight: 700; text-align: center; margin: 0 0 4mm; letter-spacing: 0.05em; }}
h2 {{ font-size: 12.5pt; margin: 6mm 0 2mm; border-bottom: 0.6pt solid #333; padding-bottom: 1mm; }}
h3 {{ font-size: 11pt; margin: 4mm 0 1.5mm; }}
p {{ margin: 1mm 0 2mm; }}
table {{ width: 100%; border-collapse: collapse; margin: 2mm 0 4mm; font-size: 9pt; }}
th, td {{ border: 0.5pt solid #444; padding: 1.2mm 1.8mm; vertical-align: top; }}
th {{ background: #e8eef6; font-weight: 700; text-align: center; }}
thead {{ display: table-header-group; }}
tr {{ page-break-inside: avoid; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.meta {{ text-align: center; color: #333; margin-bottom: 5mm; }}
.muted {{ color: #555; }}
.small {{ font-size: 8.5pt; }}
.signature {{ margin-top: 10mm; text-align: right; line-height: 2; }}
.landscape {{ page: landscape; }}
"""


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    stylesheets: Sequence[str] = (),
    base_url: str | None = None,
) -> bytes:
    """The PDF of ``template_name`` rendered with ``context``; ``stylesheets`` are CSS strings
    applied after the base print stylesheet."""
    from weasyprint import CSS, HTML  # imported here: loading Pango is slow and pages rarely need it

    html = render_to_string(template_name, context)
    sheets = [CSS(string=BASE_CSS), *(CSS(string=s) for s in stylesheets)]
    return HTML(string=html, base_url=base_url or str(settings.STATIC_ROOT)).write_pdf(stylesheets=sheets)


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """Send ``content`` as a PDF named ``filename`` (Chinese names survive via RFC 5987)."""
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response
