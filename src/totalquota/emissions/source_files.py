"""Files of other sources (TOT-3): the import template.

An uploaded file is read by the background job ``emissions.source_import``
(``services.review.run_source_import``): streamed by the job's reader
(:class:`~totalquota.common.xlsx.TableRows`: an XLSX in read-only mode after the untrusted-file
checks, a CSV as UTF-8 with or without BOM or else GB18030), its columns those of this template.
"""

from __future__ import annotations

import tempfile

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from totalquota.common.i18n import in_chinese
from totalquota.common.xlsx import text_cells
from totalquota.emissions.services.review import COLUMNS
from totalquota.registry.models import Pollutant


def template() -> tempfile.SpooledTemporaryFile:
    """The import template (in Chinese whatever the page's language): the columns and a sheet that
    explains them."""
    with in_chinese():
        wb = Workbook()
        ws = wb.active
        ws.title = "外部来源数据"
        ws.append(list(COLUMNS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE7F3")
        for column, width in zip("ABCDEF", (24, 8, 14, 14, 8, 14), strict=True):
            ws.column_dimensions[column].width = width
        for number in range(2, 1002):
            ws[f"A{number}"].number_format = "@"
        notes = wb.create_sheet("填写说明")
        notes.append(["列", "说明"])
        pollutants = "、".join(f"{p.code}（{p.name}，{p.display_unit}）" for p in Pollutant.objects.all())
        for row in (
            ("统一社会信用代码", "必填，18 位，须为平台已登记的排污单位"),
            ("年度", "必填，排放年度，须与导入时选择的年度一致"),
            ("污染物", "必填，代码或名称：" + pollutants),
            (
                "排放量",
                "必填，外排环境量；按污染物的单位填写，或在“单位”列注明 t/a 或 kg/a；t/a 最多 6 位小数，kg/a 最多 3 位",
            ),
            ("单位", "选填：t/a 或 kg/a；不填时按污染物的单位"),
            ("接管量", "选填，仅水污染物；单位同排放量"),
            ("规则", "同一单位的同一污染物只填一行；任何一行有误时整个文件不予导入，并逐行列出错误（TOT-3）"),
        ):
            notes.append(list(row))
        notes.column_dimensions["A"].width = 18
        notes.column_dimensions["B"].width = 100
        for row in notes.iter_rows(min_row=2):
            row[1].alignment = Alignment(wrap_text=True, vertical="top")
        out = tempfile.SpooledTemporaryFile()
        text_cells(wb).save(out)
        out.seek(0)
        return out
