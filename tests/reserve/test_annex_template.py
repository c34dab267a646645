"""The issued ANNEX-1 PDF and XLSX against the template (附件1 at the end of the rules), cell by cell:
every label, the nine rows in the template's order, blank cells where the template is blank, the
reminder word for word, the issuer, the date as the bureau writes it, one number format in both
files, the bureau's extra facts outside the table, and the XLSX's print setup (one A4 page)."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.reserve.conftest import T, line
from tests.xlsx_helpers import response_bytes
from totalquota.common.xlsx import decimal_number_format
from totalquota.documents.models import IssuedDocument
from totalquota.lib.units import format_quantity
from totalquota.reserve import services

pytestmark = pytest.mark.django_db

# The template as the rules print it (seed, 附件 1).
LABEL = "附件 1"
TITLE = "苏州工业园区排污总量指标管理信息表"
LABELS = ["排污单位名称", "统一社会信用代码", "建设项目名称", "建设地点"]
ROW_NAMES = ["颗粒物", "二氧化硫", "氮氧化物", "挥发性有机物", "化学需氧量", "氨氮", "总氮", "总磷", "重金属"]
REMINDER = (
    "提醒：我局对排污单位排污总量实施动态管理和指标校核，并根据苏州工业园区环境质量状况和排污单位实际管理情况，"
    "对不符合管理要求的排污单位排污总量指标予以收回。"
)
ISSUER = "苏州工业园区生态环境局"
# What the application below states, cell by cell (接管量, 外排环境量; 接管量, 外排环境量); None is blank.
EXPECTED = {
    "颗粒物": [None] * 4,
    "二氧化硫": [None] * 4,
    "氮氧化物": [None] * 4,
    "挥发性有机物": [None, "2", None, "3"],  # air: no 接管量
    "化学需氧量": ["0.000123", "0.5", "7", "6.25"],
    "氨氮": [None] * 4,
    "总氮": [None] * 4,
    "总磷": [None] * 4,
    "重金属": ["铅 0\n汞 0", "铅 0.0005\n汞 0.000005", "铅 0\n汞 0", "铅 0.0015\n汞 0.000007"],
}


@pytest.fixture
def approved(world, p, stock, draft):
    for code in ("VOCS", "COD", "PB", "HG"):
        stock(world.zone_a, code, 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal,
        application=draft(
            [
                line(p["VOCS"], project_env=2 * T, plant_env=3 * T, new=1_500_000),
                line(
                    p["COD"], project_env=500_000, plant_env=6_250_000, project_sewer=123, plant_sewer=7 * T
                ),
                line(p["PB"], project_env=500, plant_env=1500),
                line(p["HG"], project_env=5, plant_env=7),
            ]
        ),
    )
    services.application_propose(actor=world.reviewer.principal, application=app, proposal="拟同意")
    services.application_approve(actor=world.reviewer2.principal, application=app, reason="同意")
    app.refresh_from_db()
    return app


def decision_date(app) -> str:
    day = timezone.localdate(app.decided_at)
    return f"{day.year}年{day.month}月{day.day}日"


def download(client, app, fmt) -> bytes:
    return response_bytes(client.get(reverse("reserve:annex", args=[app.pk, fmt])))


# --- the PDF, read back word by word with its position ------------------------------------------


def pdf_words(content: bytes, tmp_path) -> list[tuple[float, float, str]]:
    """(x centre, y centre, text) of every word pdftotext finds, and the page count."""
    path = tmp_path / "annex.pdf"
    path.write_bytes(content)
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert xml.count("<page ") == 1, "the table prints on one page"
    words = []
    for x0, y0, x1, y1, text in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', xml
    ):
        words.append(((float(x0) + float(x1)) / 2, (float(y0) + float(y1)) / 2, text))
    return words


def pdf_table(words) -> dict[str, list[str | None]]:
    """The table's pollutant rows as cells: each word goes to the row whose name is nearest in
    height and to the column whose sub-header is nearest in width."""
    columns = sorted(x for x, _y, t in words if t in ("接管量", "外排环境量"))
    assert len(columns) == 4
    names = {t: y for _x, y, t in words if t in ROW_NAMES}
    assert list(names) == ROW_NAMES, "the nine rows, in the template's order"
    ys = sorted(names.values())
    gap = min(b - a for a, b in itertools.pairwise(ys))
    cells: dict[str, list[list[str]]] = {name: [[] for _ in columns] for name in ROW_NAMES}
    for x, y, text in words:
        if text in ROW_NAMES or x < columns[0] - 40:
            continue
        name = min(names, key=lambda n: abs(names[n] - y))
        if abs(names[name] - y) > gap * 0.9 or (name != "重金属" and abs(names[name] - y) > gap / 2):
            continue
        column = min(range(4), key=lambda i: abs(columns[i] - x))
        cells[name][column].append(text)
    return {name: [" ".join(parts) or None for parts in row] for name, row in cells.items()}


def metal_lines(cell: str | None) -> str | None:
    """A 重金属 cell as one line per metal ("铅 0.0005"), however pdftotext split its words."""
    return None if cell is None else re.sub(r"\s*(铅|汞)\s*", r"\n\1 ", cell).strip()


def test_the_pdf_is_the_template_cell_by_cell(client, world, approved, tmp_path):
    client.force_login(world.company_user)
    content = download(client, approved, "pdf")
    words = pdf_words(content, tmp_path)
    text = [t for _x, _y, t in sorted(words, key=lambda w: (round(w[1]), w[0]))]
    joined = "".join(text)
    assert text[0] == LABEL.replace(" ", "") or joined.startswith("附件1") or joined.startswith(LABEL)
    assert TITLE in joined
    for label, value in zip(LABELS, [world.company.name, world.company.uscc], strict=False):
        assert label in text and value in joined
    assert "年产500万片电路板扩建项目" in joined and "苏州工业园区星湖街1号" in joined
    for header in ("排污种类及数量", "(t/a)", "本次核定建设项目许可排放量", "全厂核定许可排放量"):
        assert header in joined
    table = pdf_table(words)
    for name, cells in EXPECTED.items():
        got = table[name]
        if name == "重金属":
            got = [metal_lines(c) for c in got]
        assert got == cells, name
    assert REMINDER in joined  # word for word, after 提醒：
    assert ISSUER in text and decision_date(approved) in text
    # Nothing the template does not have, no other number format.
    for stray in ("提示", "发放单位", "单位名称：", "—", "6.000000", "e-0", "E-0", "6."):
        assert stray not in joined.replace("6.25", ""), stray
    # The bureau's facts are outside the table: above its first label, below the issuer.
    document = IssuedDocument.objects.get()
    y_of = {t: y for _x, y, t in words}
    first_label_y = y_of["排污单位名称"]
    assert any(document.code in t and y < first_label_y for _x, y, t in words)
    assert any(approved.code in t and y < first_label_y for _x, y, t in words)
    assert any(document.verification_code in t and y > y_of[ISSUER] for _x, y, t in words)


# --- the XLSX, cell by cell ----------------------------------------------------------------------


def test_the_xlsx_is_the_template_cell_by_cell_with_numbers_that_print_like_the_pdf(client, world, approved):
    client.force_login(world.company_user)
    ws = load_workbook(io.BytesIO(download(client, approved, "xlsx"))).active
    document = IssuedDocument.objects.get()
    assert ws["A1"].value == LABEL
    assert ws["A2"].value == TITLE
    assert document.code in ws["A3"].value and approved.code in ws["A3"].value
    assert approved.eia_reference in ws["A3"].value
    assert [ws.cell(row=r, column=1).value for r in range(4, 8)] == LABELS
    assert [ws.cell(row=r, column=2).value for r in range(4, 8)] == [
        world.company.name,
        world.company.uscc,
        approved.project_name,
        approved.location,
    ]
    assert ws["A8"].value == "排污种类及数量 (t/a)"
    assert ws["B8"].value == "本次核定建设项目许可排放量" and ws["D8"].value == "全厂核定许可排放量"
    assert [ws.cell(row=9, column=c).value for c in range(2, 6)] == [
        "接管量",
        "外排环境量",
        "接管量",
        "外排环境量",
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A8:A9", "B8:C8", "D8:E8", "B4:E4", "B7:E7"} <= merged
    assert [ws.cell(row=r, column=1).value for r in range(10, 19)] == ROW_NAMES
    for r, name in enumerate(ROW_NAMES, start=10):
        for c, want in enumerate(EXPECTED[name], start=2):
            cell = ws.cell(row=r, column=c)
            if want is None:
                assert cell.value is None, (name, c)
            elif name == "重金属":
                assert cell.value == want
            else:
                # A number, whose format prints exactly the PDF's text.
                assert isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
                assert Decimal(str(cell.value)) == Decimal(want)
                assert cell.number_format == decimal_number_format(want)
    assert (
        ws["C14"].number_format == "0.0"
        and ws["E13"].number_format == "0"
        and ws["B14"].number_format == "0.000000"
    )
    assert ws["A20"].value == REMINDER
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert ISSUER in values and decision_date(approved) in values
    assert not [v for v in values if isinstance(v, str) and ("提示" in v or "发放单位" in v or v == "—")]
    assert any(isinstance(v, str) and document.verification_code in v for v in values)
    assert len(ws._images) == 1  # the QR code
    # Print setup: one A4 portrait page, the header rows repeated, the table in the print area.
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 == "9"  # A4
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_area.startswith("'信息表'!$A$1:$E$") or ws.print_area.startswith("信息表!$A$1:$E$")
    assert ws.print_title_rows == "$8:$9"
    assert ws.page_margins.left == 0.7 and ws.page_margins.top == 0.75
    assert all(ws.column_dimensions[c].width >= 15 for c in "ABCDE")
    assert ws["A20"].alignment.wrap_text


@pytest.mark.parametrize(
    ("grams", "text", "number_format"),
    [
        (6_000_000, "6", "0"),
        (60_000_000, "60", "0"),
        (500_000, "0.5", "0.0"),
        (123, "0.000123", "0.000000"),
        (1, "0.000001", "0.000000"),
        (0, "0", "0"),
        (1_234_567_890_000, "1234567.89", "0.00"),
    ],
)
def test_one_number_format_no_trailing_zeros_no_lone_point_no_exponent(grams, text, number_format):
    assert format_quantity(grams) == text
    assert decimal_number_format(text) == number_format
