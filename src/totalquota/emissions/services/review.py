"""Writes of technical review and consistency (TOT-3): technical opinions, batch acceptance,
imports of other sources and the resolution of flags.

Every check runs before the first write. Acceptance itself is the kernel's
(``REPORT_ACTIONS`` "accept": an opinion on the current version, no open flag, four eyes); a batch
runs it once per report, each in its own transaction, and reports each refusal beside its report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, require, restrict
from totalquota.audit.services import record
from totalquota.common.xlsx import TableRows, cell_text
from totalquota.emissions import consistency
from totalquota.emissions.models import (
    AWAITING_REVIEW,
    ConsistencyFlag,
    EmissionReport,
    FlagStatus,
    OpinionConclusion,
    SourceFigure,
    SourceImport,
    SourceKind,
    TechnicalOpinion,
)
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, DomainError, Forbidden, ValidationFailed
from totalquota.lib.units import QuantityError, Unit, parse_quantity
from totalquota.registry.models import Enterprise, Medium, Pollutant
from totalquota.workflow.kernel import perform

WATER_MEDIA = (Medium.WATER, Medium.AIR_OR_WATER)
BUREAU_SOURCES = (SourceKind.STATISTICS, SourceKind.DISCLOSURE, SourceKind.ONLINE)
MAX_BATCH = 2_000


# --- technical opinions ----------------------------------------------------------------------------
@transaction.atomic
def opinion_add(
    *,
    actor: Principal,
    report: EmissionReport,
    conclusion: str,
    text: str,
    organisation: str = "",
) -> TechnicalOpinion:
    """A third party's or a reviewer's technical opinion on the report's current, submitted version
    (TOT-3). A third party writes only on reports of its assigned zones. Whoever writes it may not
    accept the report (four eyes, in ``REPORT_ACTIONS``)."""
    require(actor, "emissions.opinion")
    if not restrict(actor, EmissionReport, "emissions.opinion").filter(pk=report.pk).exists():
        raise Forbidden(gettext("只能对服务功能区内的申报出具技术审核意见"), clause="TOT-3")
    # Lock order step 1 (ledger.services): the report's row, so that an opinion and a return or an
    # acceptance of the same report queue one behind the other (the opinion names the version the
    # other may be replacing).
    report = EmissionReport.objects.select_for_update().get(pk=report.pk)
    version = report.current_version
    if report.status not in AWAITING_REVIEW or version is None or not version.frozen:
        raise Conflict(
            gettext("申报当前状态为“{status}”，只能对已提交待审核的版本出具技术审核意见").format(
                status=report.get_status_display()
            ),
            clause="TOT-3",
        )
    if conclusion not in OpinionConclusion.values:
        raise ValidationFailed(
            gettext("结论应为：") + "、".join(str(c.label) for c in OpinionConclusion),
            field="conclusion",
            clause="TOT-3",
        )
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(gettext("请填写技术审核意见"), field="text", clause="TOT-3")
    organisation = (organisation or "").strip()[:100] or (actor.user.organisation or "")[:100]
    opinion = TechnicalOpinion.objects.create(
        report=report,
        version=version,
        author=actor.user,
        organisation=organisation,
        conclusion=conclusion,
        text=text,
    )
    record(
        actor=actor,
        action="emissions.opinion_add",
        obj=report,
        after={"version": version.number, "conclusion": conclusion, "opinion": opinion.pk},
    )
    return opinion


# --- batch acceptance ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchResult:
    """What became of one report of a batch: accepted, or refused with the reason."""

    id: int
    accepted: bool
    message: str
    report: EmissionReport | None = None


def reports_accept(*, actor: Principal, ids: Iterable[int], reason: str = "") -> list[BatchResult]:
    """Accept the reports ``ids`` one by one through the kernel (``REPORT_ACTIONS`` "accept"), each
    in its own transaction: a refusal (no opinion, an open flag, four eyes, a changed status) is
    reported beside its report and the others go on. Not atomic on purpose."""
    from totalquota.emissions.workflow import REPORT_ACTIONS

    require(actor, "emissions.review")
    wanted: list[int] = []
    for raw in ids:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValidationFailed(gettext("申报编号应为整数"), field="ids")
        if raw not in wanted:
            wanted.append(raw)
    if not wanted:
        raise ValidationFailed(gettext("请选择要审核通过的申报"), field="ids")
    if len(wanted) > MAX_BATCH:
        raise ValidationFailed(
            gettext("一次最多审核通过 {n} 份申报").format(n=MAX_BATCH), field="ids", clause="TOT-3"
        )
    found = {
        r.pk: r
        for r in restrict(
            actor, EmissionReport.objects.select_related("enterprise"), "emissions.review"
        ).filter(pk__in=wanted)
    }
    results: list[BatchResult] = []
    for pk in wanted:
        report = found.get(pk)
        if report is None:
            results.append(BatchResult(pk, False, gettext("申报不存在或不在您的权限范围内")))
            continue
        try:
            accepted = perform(REPORT_ACTIONS, "accept", principal=actor, obj=report, reason=reason)
        except DomainError as exc:
            results.append(BatchResult(pk, False, str(exc), report))
        else:
            results.append(BatchResult(pk, True, gettext("已审核通过"), accepted))
    return results


# --- flags ---------------------------------------------------------------------------------------------
@transaction.atomic
def flag_resolve(*, actor: Principal, flag: ConsistencyFlag, reason: str) -> ConsistencyFlag:
    """A reviewer resolves an open flag with a reason (TOT-3); the flag stays on the version."""
    require(actor, "emissions.resolve_flag")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(gettext("请说明处理意见"), field="reason", clause="TOT-3")
    # Lock order step 1: the flag's report, as every write of a report's review does, then the flag.
    EmissionReport.objects.select_for_update().filter(pk=flag.report_id).first()
    flag = ConsistencyFlag.objects.select_for_update().select_related("pollutant").get(pk=flag.pk)
    if flag.status != FlagStatus.OPEN:
        raise Conflict(
            gettext("该提示当前状态为“{status}”，不能再处理").format(status=flag.get_status_display()),
            clause="TOT-3",
        )
    flag.status = FlagStatus.RESOLVED
    flag.resolution = reason
    flag.resolved_by = actor.user
    flag.resolved_at = timezone.now()
    flag.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    record(
        actor=actor,
        action="emissions.flag_resolve",
        obj=flag,
        before={"status": FlagStatus.OPEN},
        after={"status": flag.status, "resolution": reason},
    )
    return flag


# --- imports of other sources ----------------------------------------------------------------------------
COL_USCC = "统一社会信用代码"
COL_YEAR = "年度"
COL_POLLUTANT = "污染物"
COL_QUANTITY = "排放量"
COL_UNIT = "单位"
COL_SEWER = "接管量"
REQUIRED_COLUMNS = (COL_USCC, COL_YEAR, COL_POLLUTANT, COL_QUANTITY)
OPTIONAL_COLUMNS = (COL_UNIT, COL_SEWER)
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
UNITS = {u.value: u for u in Unit} | {u.value.upper(): u for u in Unit}
# Figures are written in batches of this many rows (one INSERT each), and progress reported after each.
WRITE_BATCH = 1_000
# The most data rows one file may hold (a park has a few thousand units, each a handful of pollutants).
MAX_ROWS = 200_000
# The background job that imports a file (``emissions.apps``): page and API start it, the worker runs it.
JOB_KIND = "emissions.source_import"

# One checked row: (unit id, pollutant id, grams, sewer grams or None).
Figure = tuple[int, int, int, int | None]


@dataclass(frozen=True)
class ImportResult:
    batch: SourceImport
    rows: int
    rechecked: int


def _year_of(value: Any) -> int | None:
    text = cell_text(value)
    if text.endswith("年"):
        text = text[:-1]
    return int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None


def source_batch_check(
    *, kind: str, year: int, source: str, source_date: dt.date, enterprise: Enterprise | None = None
) -> str:
    """The batch's own fields (before any row is read): a known source kind (the execution report
    only with its unit), an ended year within the platform's scope, a source description and a
    date not in the future. Returns the source description, trimmed."""
    if kind not in SourceKind.values:
        raise ValidationFailed(
            gettext("数据来源应为：") + "、".join(str(k.label) for k in SourceKind), field="kind"
        )
    if kind == SourceKind.EXECUTION_REPORT and enterprise is None:
        raise ValidationFailed(gettext("排污许可执行报告随单位的申报导入"), field="kind", clause="TOT-3")
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValidationFailed(gettext("年度应为四位数字，如 2025"), field="year", clause="TOT-3")
    dates.check_scope_year(year)
    if year >= timezone.localdate().year:
        raise ValidationFailed(gettext("只能导入已结束年度的数据"), field="year", clause="TOT-3")
    source = (source or "").strip()
    if not source:
        raise ValidationFailed(
            gettext("请注明来源说明（如 2025 年环境统计年报）"), field="source", clause="TOT-3"
        )
    if not isinstance(source_date, dt.date) or source_date > timezone.localdate():
        raise ValidationFailed(gettext("数据日期不能晚于今天"), field="source_date", clause="TOT-3")
    return source


def source_rows_check(
    *, year: int, rows: Iterable[dict[str, Any]], enterprise: Enterprise | None = None
) -> list[Figure]:
    """Every row of a source file checked, none written: an unknown credit code or pollutant, a bad
    or over-precise quantity, a unit and pollutant twice, a year other than ``year`` are each a
    problem naming its row and column; any problem refuses the file (``ValidationFailed`` with all
    of them). The credit codes and pollutants are read once, in two queries, whatever the number
    of rows. Returns the checked figures, in the file's order."""
    units = dict(Enterprise.objects.values_list("uscc", "pk"))
    pollutants: dict[str, Pollutant] = {}
    for p in Pollutant.objects.all():
        pollutants[p.code.upper()] = p
        pollutants[p.name] = p
        if p.name_en:
            pollutants[p.name_en.upper()] = p
    problems: list[dict[str, Any]] = []
    parsed: list[Figure] = []
    seen: dict[tuple[int, int], int] = {}
    own_unit = enterprise.pk if enterprise is not None else None

    def problem(number: int, column: str, value: Any, message: str) -> None:
        problems.append(
            {
                "row": number,
                "column": column,
                "value": "" if value is None else str(value),
                "message": message,
            }
        )

    count = 0
    for row in rows:
        count += 1
        number = int(row.get("_row", count + 1))
        before = len(problems)
        code = cell_text(row.get(COL_USCC)).upper()
        unit_id = units.get(code)
        if not code:
            problem(number, COL_USCC, code, gettext("统一社会信用代码不能为空"))
        elif unit_id is None:
            problem(number, COL_USCC, code, gettext("平台中没有该统一社会信用代码的排污单位"))
        elif own_unit is not None and unit_id != own_unit:
            problem(number, COL_USCC, code, gettext("执行报告只能包含本单位的数据"))
        raw_year = row.get(COL_YEAR)
        row_year = _year_of(raw_year)
        if row_year is None:
            problem(number, COL_YEAR, raw_year, gettext("年度应为四位数字，如 2025"))
        elif row_year != year:
            problem(
                number,
                COL_YEAR,
                raw_year,
                gettext("年度与导入批次的年度 {year} 不一致").format(year=year),
            )
        name = cell_text(row.get(COL_POLLUTANT))
        pollutant = pollutants.get(name.upper()) or pollutants.get(name)
        if pollutant is None:
            problem(
                number,
                COL_POLLUTANT,
                name,
                gettext("污染物不能为空") if not name else gettext("未知的污染物（请填写代码或名称）"),
            )
        unit_text = cell_text(row.get(COL_UNIT))
        unit = UNITS.get(unit_text) if unit_text else (pollutant.unit if pollutant else None)
        if unit_text and unit is None:
            problem(number, COL_UNIT, unit_text, gettext("单位应为 t/a 或 kg/a"))
        grams = sewer = None
        if unit is not None:
            raw = row.get(COL_QUANTITY)
            try:
                grams = parse_quantity(cell_text(raw) if raw is not None else raw, unit)
            except QuantityError as exc:
                problem(number, COL_QUANTITY, raw, exc.message)
            raw_sewer = row.get(COL_SEWER)
            if raw_sewer is not None and cell_text(raw_sewer):
                if pollutant is not None and pollutant.medium not in WATER_MEDIA:
                    problem(
                        number,
                        COL_SEWER,
                        raw_sewer,
                        gettext("{p} 为大气污染物，没有接管量").format(p=pollutant.display_name),
                    )
                else:
                    try:
                        sewer = parse_quantity(cell_text(raw_sewer), unit)
                    except QuantityError as exc:
                        problem(number, COL_SEWER, raw_sewer, exc.message)
        if unit_id is not None and pollutant is not None:
            first = seen.get((unit_id, pollutant.pk))
            if first is not None:
                problem(
                    number,
                    COL_POLLUTANT,
                    name,
                    gettext("与第 {row} 行重复：同一单位的同一污染物只能有一行").format(row=first),
                )
            else:
                seen[(unit_id, pollutant.pk)] = number
        if len(problems) == before and unit_id is not None and pollutant is not None and grams is not None:
            parsed.append((unit_id, pollutant.pk, grams, sewer))
    if count == 0:
        raise ValidationFailed(gettext("文件中没有数据行"), clause="TOT-3")
    if problems:
        raise ValidationFailed(
            gettext("文件有 {n} 处错误，未导入任何数据：").format(n=len(problems))
            + gettext("第 {row} 行“{column}”：{message}").format(**problems[0])
            + ("……" if len(problems) > 1 else ""),
            clause="TOT-3",
            errors=problems,
        )
    return parsed


@transaction.atomic
def source_figures_write(
    *,
    actor: Principal,
    kind: str,
    year: int,
    source: str,
    source_date: dt.date,
    figures: list[Figure],
    file_name: str,
    sha256: str,
    progress: Callable[[int, int], None] | None = None,
    enterprise: Enterprise | None = None,
    job_id: int | None = None,
) -> ImportResult:
    """Write one batch of checked figures (from :func:`source_rows_check`) in this transaction, in
    INSERTs of :data:`WRITE_BATCH` rows (``progress(done, total)`` after each), then check again
    every report of the year under review or accepted (``consistency.recheck_year``, once for the
    whole batch) and record the import."""
    require(actor, "emissions.import_sources")
    batch = SourceImport.objects.create(
        kind=kind,
        year=year,
        source=source[:200],
        source_date=source_date,
        enterprise=enterprise,
        file_name=(file_name or "")[:200],
        sha256=(sha256 or "")[:64],
        row_count=len(figures),
        imported_by=actor.user,
    )
    total = len(figures)
    for start in range(0, total, WRITE_BATCH):
        SourceFigure.objects.bulk_create(
            [
                SourceFigure(
                    batch=batch,
                    kind=kind,
                    year=year,
                    enterprise_id=unit_id,
                    pollutant_id=pollutant_id,
                    grams=grams,
                    sewer_grams=sewer,
                )
                for unit_id, pollutant_id, grams, sewer in figures[start : start + WRITE_BATCH]
            ]
        )
        if progress is not None:
            progress(min(start + WRITE_BATCH, total), total)
    rechecked = consistency.recheck_year(year)
    after: dict[str, Any] = {
        "kind": kind,
        "year": year,
        "source": batch.source,
        "source_date": source_date.isoformat(),
        "rows": total,
        "sha256": batch.sha256,
        "rechecked": rechecked,
    }
    if job_id is not None:
        after["job"] = job_id
    record(actor=actor, action="emissions.source_import", obj=batch, after=after)
    return ImportResult(batch, total, rechecked)


@transaction.atomic
def source_import(
    *,
    actor: Principal,
    kind: str,
    year: int,
    source: str,
    source_date: dt.date,
    rows: Iterable[dict[str, Any]],
    file_name: str,
    sha256: str,
    progress: Callable[[int, int], None] | None = None,
    enterprise: Enterprise | None = None,
) -> ImportResult:
    """Import one file of another source's figures (环境统计, 环境信息披露, 在线监测年度总量; the
    execution report of ``enterprise``), all or nothing (TOT-3).

    ``rows`` are dicts keyed by the column headers (统一社会信用代码, 年度, 污染物 (code or name),
    排放量 in the pollutant's unit or in 单位 (t/a | kg/a), 接管量 optional), each with ``_row``
    (its row number in the file). The batch's fields (:func:`source_batch_check`) and every row
    (:func:`source_rows_check`) are checked first, and any problem writes nothing; then the
    figures are written in bulk in this transaction (:func:`source_figures_write`). A bureau's
    uploaded file goes through the background job instead (:func:`source_import_start`), which
    runs the same checks and the same write."""
    require(actor, "emissions.import_sources")
    source = source_batch_check(
        kind=kind, year=year, source=source, source_date=source_date, enterprise=enterprise
    )
    figures = source_rows_check(year=year, rows=rows, enterprise=enterprise)
    return source_figures_write(
        actor=actor,
        kind=kind,
        year=year,
        source=source,
        source_date=source_date,
        figures=figures,
        file_name=file_name,
        sha256=sha256,
        progress=progress,
        enterprise=enterprise,
    )


# --- the import as a background job ----------------------------------------------------------------------
def source_file_check(upload: Any) -> None:
    """The quick look at an uploaded source file before its job is queued (the job kind's
    ``check_input``, after the size and untrusted-workbook checks of ``jobs``): the header row
    holds the template's columns and at least one data row follows. The rows themselves are
    checked by the job."""
    table = TableRows(
        upload,
        headers=REQUIRED_COLUMNS,
        optional=OPTIONAL_COLUMNS,
        max_rows=MAX_ROWS,
        already_checked=True,
    )
    rows = iter(table)
    try:
        first = next(rows, None)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()  # the reader's own clean-up (the workbook, the text wrapper), the upload stays open
        upload.seek(0)
    if first is None:
        raise ValidationFailed(gettext("文件中没有数据行"), clause="TOT-3")


def source_import_start(
    *, actor: Principal, kind: str, year: int, source: str, source_date: dt.date, upload: Any
) -> Any:
    """Start the import of a bureau's file of another source as a background job (the worker
    runs :func:`run_source_import`). Refused before any job exists: a role without the
    permission, a kind other than the bureau's three, a year or date out of range, no source
    description, a file that is not a table of the template's columns (nothing is kept)."""
    from totalquota.jobs.services import job_start

    require(actor, "emissions.import_sources")
    if kind not in BUREAU_SOURCES:
        raise ValidationFailed(
            gettext("数据来源应为：") + "、".join(str(SourceKind(k).label) for k in BUREAU_SOURCES),
            field="kind",
            clause="TOT-3",
        )
    source = source_batch_check(kind=kind, year=year, source=source, source_date=source_date)
    return job_start(
        actor=actor,
        kind=JOB_KIND,
        upload=upload,
        params={"kind": kind, "year": year, "source": source, "source_date": source_date.isoformat()},
    )


def _numbered(rows: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    for number, row in rows:
        row["_row"] = number
        yield row


def run_source_import(ctx: Any) -> dict[str, Any]:
    """The job ``emissions.source_import`` (a :class:`~totalquota.jobs.runner.JobContext`): the
    stored file streamed (read-only, progress on the job's page while its rows are read and
    checked, outside any transaction so that the page sees it), every row checked
    (:func:`source_rows_check`), then the figures, the re-check of the year and the job's "done"
    written in one transaction (``ctx.commit``). Any bad row fails the job with the rows and
    columns named and nothing written."""
    from django.urls import reverse

    params = ctx.params
    try:
        kind = str(params["kind"])
        year = int(params["year"])
        source = str(params["source"])
        source_date = dt.date.fromisoformat(str(params["source_date"]))
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(gettext("任务参数不完整，请重新导入文件"), clause="TOT-3") from None
    actor = ctx.principal
    require(actor, "emissions.import_sources")
    source = source_batch_check(kind=kind, year=year, source=source, source_date=source_date)
    rows = ctx.rows(headers=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, max_rows=MAX_ROWS)
    figures = source_rows_check(year=year, rows=_numbered(rows))

    def write() -> dict[str, Any]:
        done = source_figures_write(
            actor=actor,
            kind=kind,
            year=year,
            source=source,
            source_date=source_date,
            figures=figures,
            file_name=ctx.job.input_name,
            sha256=ctx.job.input_sha256,
            job_id=ctx.job.pk,
        )
        return {
            "summary": gettext("已导入 {n} 条数据，并重新核查了 {r} 份申报。").format(
                n=done.rows, r=done.rechecked
            ),
            "counts": {gettext("导入的数据"): done.rows, gettext("重新核查的申报"): done.rechecked},
            "batch_id": done.batch.pk,
            "links": [
                {
                    "label": gettext("查看导入批次"),
                    "url": reverse("emissions:source_detail", args=[done.batch.pk]),
                }
            ],
        }

    return ctx.commit(write)
