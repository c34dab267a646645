"""Uploaded tables read as a stream: the same cells as read_table, from .xlsx and .csv alike."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from tests.xlsx_helpers import BILLION_LAUGHS, hostile_xlsx, xlsx_bytes
from totalquota.common.xlsx import TableRows, iter_rows, read_table
from totalquota.lib.errors import ValidationFailed

HEADERS = ["代码", "数量", "日期"]


def test_a_workbook_streams_rows_with_their_numbers_exact_and_the_expected_total():
    data = xlsx_bytes(HEADERS, [["A", 0.00005, dt.date(2025, 1, 2)], [None, None, None], ["B", 12.0, None]])
    table = TableRows(io.BytesIO(data), headers=HEADERS)
    got = list(table)
    assert got == [
        (2, {"代码": "A", "数量": "0.00005", "日期": dt.datetime(2025, 1, 2)}),
        (4, {"代码": "B", "数量": "12", "日期": None}),
    ]
    assert table.total == 3  # rows below the header, the blank one included


def test_read_table_is_the_stream_collected():
    data = xlsx_bytes(["数量", "代码", "日期"], [[1.5, "A", None]])
    assert read_table(io.BytesIO(data), headers=HEADERS) == [
        {"代码": "A", "数量": "1.5", "日期": None, "_row": 2}
    ]


def test_an_exported_heading_is_skipped_and_headers_must_match():
    wb = Workbook()
    ws = wb.active
    for line in (["标题"], ["范围"], ["出具单位"], HEADERS, ["A", 1, None]):
        ws.append(line)
    out = io.BytesIO()
    wb.save(out)
    assert [n for n, _row in iter_rows(io.BytesIO(out.getvalue()), headers=HEADERS)] == [5]
    with pytest.raises(ValidationFailed, match="缺少列：日期；无法识别的列：备注"):
        list(iter_rows(io.BytesIO(xlsx_bytes(["代码", "数量", "备注"], [])), headers=HEADERS))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_a_csv_is_read_in_utf8_or_gb18030_every_cell_as_written(encoding):
    text = '代码,数量,日期\r\n苏州甲,0.000001,2025-01-02\r\n,,\r\n"乙,丙",１２,\r\n'
    table = TableRows(io.BytesIO(text.encode(encoding)), headers=HEADERS)
    assert list(table) == [
        (2, {"代码": "苏州甲", "数量": "0.000001", "日期": "2025-01-02"}),
        (4, {"代码": "乙,丙", "数量": "１２", "日期": None}),
    ]
    assert table.total == 3


def test_too_many_rows_an_empty_file_and_a_hostile_workbook_are_refused():
    data = xlsx_bytes(HEADERS, [["A", 1, None]] * 3)
    with pytest.raises(ValidationFailed, match="超过上限 2 行"):
        list(iter_rows(io.BytesIO(data), headers=HEADERS, max_rows=2))
    with pytest.raises(ValidationFailed, match="文件是空的"):
        list(iter_rows(io.BytesIO(b""), headers=HEADERS))
    with pytest.raises(ValidationFailed, match="DTD"):
        list(
            iter_rows(
                io.BytesIO(hostile_xlsx(HEADERS, [["A", 1, None]], BILLION_LAUGHS, "&lol9;")), headers=HEADERS
            )
        )
    with pytest.raises(ValidationFailed, match="无法读取文件"):
        list(iter_rows(io.BytesIO(b"a,b\x00,c\n"), headers=HEADERS))


def test_optional_columns_may_be_there_or_not_and_nothing_else_may():
    with_unit = xlsx_bytes(["单位", *HEADERS], [["t/a", "A", 1, None]])
    assert list(iter_rows(io.BytesIO(with_unit), headers=HEADERS, optional=["单位", "备注"])) == [
        (2, {"代码": "A", "数量": "1", "日期": None, "单位": "t/a"})
    ]
    without = xlsx_bytes(HEADERS, [["A", 1, None]])
    assert list(iter_rows(io.BytesIO(without), headers=HEADERS, optional=["单位"])) == [
        (2, {"代码": "A", "数量": "1", "日期": None})
    ]
    with pytest.raises(ValidationFailed, match="无法识别的列：备注"):
        list(iter_rows(io.BytesIO(xlsx_bytes([*HEADERS, "备注"], [])), headers=HEADERS, optional=["单位"]))
