"""Writes of the self-report (TOT-2): a listed unit's report, its lines, its versions.

Every check runs before the first write. A report is created with version 1, its lines prefilled
(permitted from the unit's permit data, allowed from last year's determination); the unit edits
the lines of the current version while the report is a draft or returned; submitting, returning
and accepting are actions of :data:`~totalquota.emissions.workflow.REPORT_ACTIONS`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, require
from totalquota.audit.services import record, snapshot
from totalquota.common.files import check_upload, safe_name, storing
from totalquota.common.once import create_once
from totalquota.emissions import selectors
from totalquota.emissions.models import (
    EDITABLE,
    AttachmentKind,
    EmissionReport,
    ListEntry,
    Method,
    ReportAttachment,
    ReportLine,
    ReportOrigin,
    ReportStatus,
    ReportVersion,
    SourceFigure,
    SourceImport,
    SourceKind,
    attachment_path,
)
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.registry.models import Enterprise, Medium, Pollutant
from totalquota.workflow.kernel import create_transition, perform

WATER_MEDIA = (Medium.WATER, Medium.AIR_OR_WATER)


@dataclass(frozen=True)
class LineInput:
    """One pollutant of a report as a unit gives it (grams; ``None`` where the unit leaves a figure
    empty)."""

    pollutant: Pollutant
    actual_grams: int | None
    method: str
    data_source: str
    permitted_grams: int | None = None
    allowed_grams: int | None = None
    sewer_grams: int | None = None
    difference_note: str = ""


def _own_unit(actor: Principal, enterprise_id: int) -> None:
    if actor.enterprise_id is None or actor.enterprise_id != enterprise_id:
        raise Forbidden(gettext("只能填报本单位的排放量申报"))


@transaction.atomic
def report_create(*, actor: Principal, enterprise: Enterprise, year: int) -> EmissionReport:
    """Open the report of ``year`` for a listed unit, version 1 prefilled (TOT-2)."""
    require(actor, "emissions.report")
    _own_unit(actor, enterprise.pk)
    dates.check_scope_year(year)
    if year >= timezone.localdate().year:
        raise ValidationFailed(
            gettext("只能申报已结束年度的排放量（{year} 年尚未结束）").format(year=year),
            field="year",
            clause="TOT-2",
        )
    entry = ListEntry.objects.filter(year=year, enterprise=enterprise, listed=True).first()
    if entry is None:
        raise RuleViolation(
            gettext("{unit} 不在 {year} 年度重点排污单位名录中，无须申报").format(unit=enterprise, year=year),
            clause="TOT-1",
        )
    duplicate = gettext("{unit} {year} 年度的排放量申报已存在").format(unit=enterprise, year=year)
    if EmissionReport.objects.filter(enterprise=enterprise, year=year).exists():
        raise Conflict(duplicate, clause="TOT-2")
    report = create_once(
        EmissionReport,
        duplicate,
        clause="TOT-2",
        year=year,
        enterprise=enterprise,
        zone=entry.zone,
        entry=entry,
        created_by=actor.user,
    )
    version = ReportVersion.objects.create(report=report, number=1, created_by=actor.user)
    ReportLine.objects.bulk_create(
        ReportLine(version=version, **fields) for fields in selectors.prefilled_lines(enterprise, year)
    )
    report.current_version = version
    from totalquota.emissions.workflow import REPORT_ACTIONS

    create_transition(REPORT_ACTIONS, report, principal=actor, action="create", to=ReportStatus.DRAFT)
    report.save()
    record(actor=actor, action="emissions.report_create", obj=report, after={"year": year, "version": 1})
    return report


def line_errors(report: EmissionReport, lines: list[LineInput]) -> list[dict[str, Any]]:
    """Every problem of ``lines`` (field ``lines[i].<name>``), none written: figures not negative,
    接管量 only for water, a method and a source, each pollutant once, and an explanation where a
    figure differs from what the platform prefilled or the unit holds no permit for the pollutant."""
    prefill = {p["pollutant"].pk: p for p in selectors.prefilled_lines(report.enterprise, report.year)}
    errors: list[dict[str, Any]] = []
    seen: set[int] = set()

    def bad(i: int, name: str, message: str) -> None:
        errors.append({"field": f"lines[{i}].{name}", "message": message})

    for i, line in enumerate(lines):
        p = line.pollutant
        if p.pk in seen:
            bad(i, "pollutant", gettext("{p} 重复填报").format(p=p.display_name))
        seen.add(p.pk)
        for name in ("actual_grams", "permitted_grams", "allowed_grams", "sewer_grams"):
            value = getattr(line, name)
            if value is None and name == "actual_grams":
                bad(i, name, gettext("{p}：请填写实际排放量").format(p=p.display_name))
            elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                bad(i, name, gettext("{p}：排放量应为不小于零的数量").format(p=p.display_name))
        if line.sewer_grams is not None and p.medium not in WATER_MEDIA:
            bad(i, "sewer_grams", gettext("{p} 为大气污染物，没有接管量").format(p=p.display_name))
        if line.method not in Method.values:
            bad(i, "method", gettext("{p}：请选择实际排放量的核算方法").format(p=p.display_name))
        if not (line.data_source or "").strip():
            bad(i, "data_source", gettext("{p}：请注明数据来源").format(p=p.display_name))
        offered = prefill.get(p.pk)
        note = (line.difference_note or "").strip()
        if not note:
            if offered is None or offered.get("permitted_prefill_grams") is None:
                bad(
                    i,
                    "difference_note",
                    gettext("{p}：本单位排污许可未载明该污染物，请说明排放原因").format(p=p.display_name),
                )
            elif line.permitted_grams != offered.get("permitted_prefill_grams"):
                bad(
                    i,
                    "difference_note",
                    gettext("{p}：许可排放量与排污许可证载明的不同，请说明差异").format(p=p.display_name),
                )
            elif line.allowed_grams != offered.get("allowed_prefill_grams"):
                bad(
                    i,
                    "difference_note",
                    gettext("{p}：核定排放量与上年度核定结果不同，请说明差异").format(p=p.display_name),
                )
    return errors


def editable_version(report: EmissionReport) -> ReportVersion:
    """The version the unit may edit now, or 409."""
    version = report.current_version
    if report.status not in EDITABLE or version is None or version.frozen:
        raise Conflict(
            gettext("申报当前状态为“{status}”，不能修改").format(status=report.get_status_display()),
            clause="TOT-2",
        )
    return version


@transaction.atomic
def report_lines_save(
    *,
    actor: Principal,
    report: EmissionReport,
    lines: list[LineInput],
    change_note: str | None = None,
    origin: str = ReportOrigin.FORM,
) -> ReportVersion:
    """Replace the lines of the current version with ``lines`` (all checked first)."""
    require(actor, "emissions.report")
    # Lock order step 1 (ledger.services): the report's row, so that two saves (or a save and a
    # submission) of one report queue one behind the other.
    report = EmissionReport.objects.select_for_update().get(pk=report.pk)
    _own_unit(actor, report.enterprise_id)
    version = editable_version(report)
    errors = line_errors(report, lines)
    if errors:
        raise ValidationFailed(
            gettext("申报明细有 {n} 处问题：").format(n=len(errors))
            + "；".join(e["message"] for e in errors),
            clause="TOT-2",
            errors=errors,
        )
    version.lines.all().delete()
    ReportLine.objects.bulk_create(
        ReportLine(
            version=version,
            pollutant=line.pollutant,
            actual_grams=line.actual_grams,
            sewer_grams=line.sewer_grams,
            permitted_grams=line.permitted_grams,
            allowed_grams=line.allowed_grams,
            method=line.method,
            data_source=line.data_source.strip(),
            difference_note=(line.difference_note or "").strip(),
            **selectors.prefill_of(report.enterprise, report.year, line.pollutant),
        )
        for line in lines
    )
    fields = ["origin"]
    version.origin = origin
    if change_note is not None:
        version.change_note = change_note.strip()
        fields.append("change_note")
    version.save(update_fields=fields)
    record(
        actor=actor,
        action="emissions.report_lines",
        obj=report,
        after={"version": version.number, "lines": selectors.lines_state(version)},
    )
    return version


def check_complete(report: EmissionReport, version: ReportVersion) -> None:
    """Refuse submitting a version with no lines, or with lines that no longer pass (TOT-2); a
    corrected version must say what it changed."""
    lines = list(version.lines.select_related("pollutant"))
    if not lines:
        raise RuleViolation(gettext("申报没有任何污染物的排放量，不能提交"), clause="TOT-2")
    permitted = selectors.permitted_of(report.enterprise, report.year)
    missing = [
        p.display_name
        for p in Pollutant.objects.filter(pk__in=set(permitted) - {x.pollutant_id for x in lines})
    ]
    if missing:
        # Every pollutant the permit covers is reported, even when nothing was emitted (TOT-2).
        raise RuleViolation(
            gettext("排污许可载明的污染物须逐项申报（无排放的填 0）：{names}").format(
                names="、".join(missing)
            ),
            field="lines",
            clause="TOT-2",
        )
    if version.number > 1 and not version.change_note.strip():
        raise RuleViolation(gettext("更正后重新提交须填写修改说明"), field="change_note", clause="TOT-2")
    errors = line_errors(
        report,
        [
            LineInput(
                pollutant=x.pollutant,
                actual_grams=x.actual_grams,
                method=x.method,
                data_source=x.data_source,
                permitted_grams=x.permitted_grams,
                allowed_grams=x.allowed_grams,
                sewer_grams=x.sewer_grams,
                difference_note=x.difference_note,
            )
            for x in lines
        ],
    )
    if errors:
        raise RuleViolation(
            gettext("申报明细有 {n} 处问题：").format(n=len(errors))
            + "；".join(e["message"] for e in errors),
            clause="TOT-2",
            errors=errors,
        )


def next_version(report: EmissionReport, *, actor: Principal) -> ReportVersion:
    """Version n + 1 of ``report``: a copy of its current version's lines and attachments, made the
    current version (the kernel saves the report)."""
    current = report.current_version
    assert current is not None
    version = ReportVersion.objects.create(
        report=report, number=current.number + 1, origin=current.origin, created_by=actor.user
    )
    ReportLine.objects.bulk_create(
        ReportLine(
            version=version,
            **{
                f.attname: getattr(line, f.attname)
                for f in ReportLine._meta.concrete_fields
                if f.attname not in ("id", "version_id")
            },
        )
        for line in current.lines.all()
    )
    ReportAttachment.objects.bulk_create(
        ReportAttachment(
            version=version,
            **{
                f.attname: getattr(a, f.attname)
                for f in ReportAttachment._meta.concrete_fields
                if f.attname not in ("id", "version_id")
            },
        )
        for a in current.attachments.all()
    )
    report.current_version = version
    return version


def report_submit(*, actor: Principal, report: EmissionReport, note: str = "") -> EmissionReport:
    from totalquota.emissions.workflow import REPORT_ACTIONS

    return perform(REPORT_ACTIONS, "submit", principal=actor, obj=report, reason=note)


def report_return(*, actor: Principal, report: EmissionReport, reason: str) -> EmissionReport:
    from totalquota.emissions.workflow import REPORT_ACTIONS

    return perform(REPORT_ACTIONS, "return", principal=actor, obj=report, reason=reason)


def report_accept(*, actor: Principal, report: EmissionReport, reason: str = "") -> EmissionReport:
    from totalquota.emissions.workflow import REPORT_ACTIONS

    return perform(REPORT_ACTIONS, "accept", principal=actor, obj=report, reason=reason)


def report_reopen(*, actor: Principal, report: EmissionReport, reason: str) -> EmissionReport:
    from totalquota.emissions.workflow import REPORT_ACTIONS

    return perform(REPORT_ACTIONS, "reopen", principal=actor, obj=report, reason=reason)


# --- attachments (TOT-2) -------------------------------------------------------------------------
ATTACHMENT_FIELDS = ["version", "kind", "original_name", "size_bytes", "sha256", "content_type"]


def _editable_report(actor: Principal, report: EmissionReport) -> tuple[EmissionReport, ReportVersion]:
    require(actor, "emissions.report")
    # Lock order step 1 (ledger.services): the report's row, so that an upload or a removal and a
    # submission of the same report are taken one after the other (the submission freezes the
    # version with every attachment or none).
    report = EmissionReport.objects.select_for_update().get(pk=report.pk)
    _own_unit(actor, report.enterprise_id)
    return report, editable_version(report)


@transaction.atomic
def attachment_add(
    *, actor: Principal, report: EmissionReport, kind: str, upload: Any, note: str = ""
) -> ReportAttachment:
    """Attach a file to the current, unfrozen version: its type checked from its bytes, its size
    limited, its SHA-256 kept (``common.files``)."""
    report, version = _editable_report(actor, report)
    if kind not in AttachmentKind.values:
        raise ValidationFailed(
            gettext("附件类型应为：") + "、".join(str(k.label) for k in AttachmentKind),
            field="kind",
            clause="TOT-2",
        )
    found = check_upload(upload, clause="TOT-2")
    if version.attachments.filter(kind=kind, sha256=found.sha256).exists():
        raise Conflict(gettext("同一文件已作为该类附件上传"), field="file", clause="TOT-2")
    attachment = ReportAttachment(
        version=version,
        kind=kind,
        original_name=safe_name(getattr(upload, "name", "")),
        size_bytes=found.size,
        sha256=found.sha256,
        content_type=found.content_type,
        note=(note or "").strip()[:200],
        uploaded_by=actor.user,
    )
    with storing(attachment.file, upload, found, attachment_path(attachment, "")):
        attachment.save()
        record(
            actor=actor,
            action="emissions.report_attachment_add",
            obj=attachment,
            after=snapshot(attachment, ATTACHMENT_FIELDS),
        )
    return attachment


@transaction.atomic
def attachment_delete(*, actor: Principal, attachment: ReportAttachment) -> None:
    """Remove an attachment of the current, unfrozen version (a submitted version keeps its own;
    the audit log keeps the digest)."""
    _report, version = _editable_report(actor, attachment.version.report)
    if attachment.version_id != version.pk:
        raise Conflict(gettext("该附件属于已提交的版本，不能删除"), clause="TOT-2")
    path = attachment.file.name or ""
    before = snapshot(attachment, ATTACHMENT_FIELDS)
    object_type, pk = attachment._meta.label_lower, attachment.pk
    attachment.delete()
    record(
        actor=actor,
        action="emissions.report_attachment_delete",
        object_type=object_type,
        object_id=pk,
        object_repr=attachment.original_name,
        before=before,
    )

    # The bytes go once the removal has committed, and only when no other attachment (an earlier
    # version's copy, another report's) names the same content.
    def remove() -> None:
        if not ReportAttachment.objects.filter(file=path).exists():
            ReportAttachment._meta.get_field("file").storage.delete(path)

    transaction.on_commit(remove)


# --- the permit execution report (执行报告, TOT-2, TOT-3) ----------------------------------------
@dataclass(frozen=True)
class ExecutionFile:
    """Where imported execution-report figures came from, for the source record."""

    name: str
    sha256: str
    source_date: dt.date | None = None


@transaction.atomic
def execution_import(
    *,
    actor: Principal,
    report: EmissionReport,
    lines: list[LineInput],
    file: ExecutionFile,
    change_note: str | None = None,
) -> ReportVersion:
    """Fill the current version from the unit's permit execution report and keep the figures as
    the unit's execution-report source (``SourceImport`` kind ``execution`` and its
    ``SourceFigure`` rows), so the consistency check compares the final self-report with the
    execution report as filed. Checked whole first (``report_lines_save``): nothing is written on
    any problem.

    The execution report has no allowed emissions: each line keeps the allowed figure of the
    current version's line of its pollutant (else the platform's prefill); a permitted figure the
    file leaves empty keeps the current one likewise."""
    current = {
        line.pollutant_id: line for line in ReportLine.objects.filter(version_id=report.current_version_id)
    }
    prefill = {p["pollutant"].pk: p for p in selectors.prefilled_lines(report.enterprise, report.year)}

    def kept(line: LineInput, name: str) -> int | None:
        value = getattr(line, name)
        if value is not None:
            return value
        if line.pollutant.pk in current:
            return getattr(current[line.pollutant.pk], name)
        return prefill.get(line.pollutant.pk, {}).get(name)

    lines = [
        replace(
            line, allowed_grams=kept(line, "allowed_grams"), permitted_grams=kept(line, "permitted_grams")
        )
        for line in lines
    ]
    version = report_lines_save(
        actor=actor,
        report=report,
        lines=lines,
        change_note=change_note,
        origin=ReportOrigin.EXECUTION_REPORT,
    )
    batch = SourceImport.objects.create(
        kind=SourceKind.EXECUTION_REPORT,
        year=report.year,
        source=gettext("排污许可执行报告（单位随申报导入）"),
        source_date=file.source_date or timezone.localdate(),
        enterprise=report.enterprise,
        file_name=safe_name(file.name),
        sha256=file.sha256,
        row_count=len(lines),
        imported_by=actor.user,
    )
    SourceFigure.objects.bulk_create(
        SourceFigure(
            batch=batch,
            kind=SourceKind.EXECUTION_REPORT,
            year=report.year,
            enterprise=report.enterprise,
            pollutant=line.pollutant,
            grams=line.actual_grams,
            sewer_grams=line.sewer_grams,
        )
        for line in lines
        if line.actual_grams is not None
    )
    record(
        actor=actor,
        action="emissions.report_execution_import",
        obj=report,
        after={"version": version.number, "batch": batch.pk, "rows": len(lines), "sha256": file.sha256},
    )
    return version
