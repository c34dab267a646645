"""Pages of the emission total library: self-reports (TOT-2).

The list of reports; a unit starting its report; a report's page (header, the current version's
lines beside what the platform prefilled, attachments, versions with their steps, and for the
bureau what changed against the previous version, with the workflow's buttons); the unit editing
its lines (one row per pollutant, every refusal on its cell) and attachments; and the permit
execution report imported through a column mapping.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import django_filters
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, may, principal_of, require
from totalquota.common.files import download, upload_limit_mb
from totalquota.common.middleware import multipart_post
from totalquota.common.xlsx import xlsx_response
from totalquota.emissions import deadlines, execution, versions
from totalquota.emissions.forms_reports import (
    CELL_OF,
    AttachmentForm,
    ChangeNoteForm,
    ExecutionUploadForm,
    LineFormSet,
    MappingForm,
    ReportCreateForm,
    line_initial,
)
from totalquota.emissions.models import (
    AWAITING_REVIEW,
    EDITABLE,
    EmissionReport,
    ListEntry,
    ReportAttachment,
    ReportLine,
    ReportStatus,
)
from totalquota.emissions.services import listing
from totalquota.emissions.services import reports as services
from totalquota.emissions.workflow import REPORT_ACTIONS
from totalquota.lib.errors import DomainError, ValidationFailed
from totalquota.registry.models import Pollutant, Zone
from totalquota.web.actions import action_urls, action_view
from totalquota.web.forms import saved
from totalquota.web.lists import Button, Column, ScopedListView

SESSION_UPLOAD = "emissions_execution_upload"
UPLOAD_FOLDER = "emissions/imports"


def _report(request: HttpRequest, pk: int, action: str = "emissions.view") -> EmissionReport:
    return access(
        request.user,
        EmissionReport.objects.select_related("enterprise", "zone", "current_version", "accepted_version"),
        pk,
        action,
    )


def report_due(enterprise: Any, year: int, zone: Any = None) -> Any:
    """The due date of a unit's report of ``year`` (its extension, else its zone's, else the rule
    moved to a working day: ``emissions.deadlines``); ``None`` when no rule is in force."""
    try:
        return deadlines.report_due(enterprise, year, zone)
    except DomainError:
        return None


# --- the list ------------------------------------------------------------------------------------
def year_choices() -> list[tuple[str, str]]:
    years = EmissionReport.objects.order_by("-year").values_list("year", flat=True).distinct()
    return [(str(y), str(y)) for y in years]


class ReportFilter(django_filters.FilterSet):
    year = django_filters.ChoiceFilter(label=gettext_lazy("排放年度"), choices=year_choices)
    zone = django_filters.ModelChoiceFilter(label=gettext_lazy("功能区"), queryset=Zone.objects.all())
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ReportStatus.choices)
    corrected = django_filters.ChoiceFilter(
        label=gettext_lazy("更正"),
        choices=[("1", gettext_lazy("有更正版本")), ("0", gettext_lazy("仅第 1 版"))],
        method="filter_corrected",
    )

    class Meta:
        model = EmissionReport
        fields = ["year", "zone", "status"]

    def filter_corrected(self, queryset, name, value):
        corrected = Q(current_version__number__gt=1)
        return queryset.filter(corrected) if value == "1" else queryset.exclude(corrected)


def _version_number(version: Any) -> Any:
    return version.number if version is not None else None


class ReportListView(ScopedListView):
    model = EmissionReport
    action = "emissions.view"
    title = gettext_lazy("排放量申报（TOT-2）")
    export_name = gettext_lazy("排放量申报")
    search_fields = ["enterprise__name", "enterprise__uscc"]
    search_placeholder = gettext_lazy("单位名称、统一社会信用代码")
    filterset_class = ReportFilter
    related = ("enterprise", "zone", "current_version", "accepted_version")
    columns = [
        Column(gettext_lazy("排污单位"), "enterprise.name", link=True, css="wrap"),
        Column(gettext_lazy("统一社会信用代码"), "enterprise.uscc"),
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("排放年度"), "year"),
        Column(gettext_lazy("状态"), "status"),
        Column(gettext_lazy("当前版本"), lambda r: _version_number(r.current_version), css="num"),
        Column(gettext_lazy("通过版本"), lambda r: _version_number(r.accepted_version), css="num"),
        Column(gettext_lazy("最近提交时间"), "submitted_at"),
        Column(gettext_lazy("审核通过时间"), "accepted_at"),
    ]
    buttons = [Button("emissions.report", gettext_lazy("填报排放量申报"), "emissions:report_create")]

    def page_actions(self):
        # Only a unit's staff start a report (a system token with the same right uses the API).
        if principal_of(self.request.user).enterprise_id is None:
            return []
        return super().page_actions()


# --- starting a report ---------------------------------------------------------------------------
def open_years(enterprise_id: int) -> list[int]:
    """The years the unit is listed for, has no report of and that have ended (TOT-1, TOT-2)."""
    reported = EmissionReport.objects.filter(enterprise_id=enterprise_id).values("year")
    return list(
        ListEntry.objects.filter(enterprise_id=enterprise_id, listed=True, year__lt=timezone.localdate().year)
        .exclude(year__in=reported)
        .order_by("-year")
        .values_list("year", flat=True)
    )


@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    principal = require(request.user, "emissions.report")
    if principal.enterprise_id is None:
        return render(
            request,
            "common/error.html",
            {"status": 403, "message": _("排放量申报由排污单位填报")},
            status=403,
        )
    years = open_years(principal.enterprise_id)
    form = ReportCreateForm(request.POST or None, years=years)
    status = 200
    if request.method == "POST":
        try:
            year = int(str(request.POST.get("year", "")).strip())
        except ValueError:
            form.add_error("year", _("请选择排放年度"))
            status = 422
        else:
            try:
                report = services.report_create(
                    actor=principal, enterprise=principal.user.enterprise, year=year
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                return saved(
                    request,
                    _("已创建 %(year)s 年度排放量申报草稿，请填写各污染物排放量。") % {"year": year},
                    "emissions:report_lines",
                    pk=report.pk,
                )
    return render(
        request,
        "emissions/reports_create.html",
        {
            "form": form,
            "years": years,
            "title": _("填报排放量申报"),
            "due": {y: report_due(principal.user.enterprise, y) for y in years},
        },
        status=status,
    )


# --- a report's page ---------------------------------------------------------------------------
@dataclass
class LineRow:
    """A line as the report's page shows it, with what the platform prefilled where it differs."""

    line: ReportLine
    permitted_differs: bool
    allowed_differs: bool

    @property
    def pollutant(self) -> Pollutant:
        return self.line.pollutant

    @property
    def is_water(self) -> bool:
        return self.line.pollutant.medium in services.WATER_MEDIA


def line_rows(version: Any) -> list[LineRow]:
    if version is None:
        return []
    return [
        LineRow(
            line=line,
            permitted_differs=line.permitted_prefill_grams is not None
            and line.permitted_grams != line.permitted_prefill_grams,
            allowed_differs=line.allowed_prefill_grams is not None
            and line.allowed_grams != line.allowed_prefill_grams,
        )
        for line in version.lines.select_related("pollutant")
    ]


def _can_edit(principal: Any, report: EmissionReport) -> bool:
    return (
        may(principal, "emissions.report")
        and principal.enterprise_id == report.enterprise_id
        and report.status in EDITABLE
        and report.current_version is not None
        and not report.current_version.frozen
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    principal = principal_of(request.user)
    version = report.current_version
    bureau_side = principal.enterprise_id is None
    diff = versions.version_diff(version) if version is not None and bureau_side else None
    if principal.enterprise_id == report.enterprise_id and may(principal, "emissions.report"):
        # The unit has seen its report: the reminders about it are read (TOT-2).
        listing.reminders_mark_read(actor=principal, year=report.year)
    context = {
        "report": report,
        "title": _("%(unit)s %(year)s 年度排放量申报")
        % {"unit": report.enterprise.name, "year": report.year},
        "version": version,
        "lines": line_rows(version),
        "accepted_lines": line_rows(report.accepted_version)
        if report.accepted_version_id and report.accepted_version_id != report.current_version_id
        else [],
        "attachments": list(version.attachments.select_related("uploaded_by")) if version else [],
        "history": versions.version_history(report),
        "diff": diff,
        "can": REPORT_ACTIONS.available(principal, report),
        "can_edit": _can_edit(principal, report),
        "attachment_form": AttachmentForm(),
        "awaiting_review": report.status in AWAITING_REVIEW,
        "due": report_due(report.enterprise, report.year, report.zone) if report.status in EDITABLE else None,
        "today": timezone.localdate(),
        "preparers": set(REPORT_ACTIONS.preparers(report)) if REPORT_ACTIONS.preparers else set(),
        # Why the report came back, while the unit corrects it (the reviewer's comment, TOT-3).
        "returned_because": report.transitions.filter(to_status=ReportStatus.RETURNED)
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
        if report.status == ReportStatus.RETURNED
        else None,
    }
    return render(request, "emissions/reports_detail.html", context)


report_action = action_view(REPORT_ACTIONS, _report)


# --- editing the lines -------------------------------------------------------------------------
def _not_editable(request: HttpRequest, report: EmissionReport, exc: DomainError) -> HttpResponse:
    return render(
        request,
        "emissions/reports_refused.html",
        {"report": report, "title": _("不能修改"), "message": str(exc)},
        status=exc.status,
    )


def _editable(request: HttpRequest, pk: int) -> tuple[EmissionReport, HttpResponse | None]:
    report = _report(request, pk, "emissions.report")
    principal = principal_of(request.user)
    if principal.enterprise_id != report.enterprise_id:
        return report, render(
            request,
            "common/error.html",
            {"status": 403, "message": _("只能填报本单位的排放量申报")},
            status=403,
        )
    try:
        services.editable_version(report)
    except DomainError as exc:
        return report, _not_editable(request, report, exc)
    return report, None


def _pollutants() -> dict[str, Pollutant]:
    return {p.code: p for p in Pollutant.objects.all()}


def _with_row(data: Any, prefix: str, code: str) -> Any:
    """The posted rows plus one for ``code`` (the "add a pollutant" button)."""
    data = data.copy()
    total = int(data.get(f"{prefix}-TOTAL_FORMS", "0") or 0)
    data[f"{prefix}-{total}-pollutant"] = code
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    return data


def place_errors(formset: Any, note_form: Any, exc: DomainError, kept: list[int]) -> list[str]:
    """The service's refusal on the cells it names (``lines[i].<field>``, ``i`` counting the rows
    kept); what names no cell is returned to be shown above the table."""
    above: list[str] = []
    for item in exc.errors or [{"field": exc.field, "message": exc.message}]:
        name = str(item.get("field") or "")
        match = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", name)
        if match and int(match.group(1)) < len(kept):
            form = formset.forms[kept[int(match.group(1))]]
            cell = CELL_OF.get(match.group(2), "")
            form.add_error(cell if cell in form.fields else None, item["message"])
        elif name == "change_note":
            note_form.add_error("change_note", item["message"])
        else:
            above.append(str(item["message"]))
    if not exc.errors and exc.clause:
        above = [str(exc)]
    return above


@login_required
def report_lines(request: HttpRequest, pk: int) -> HttpResponse:
    report, refused = _editable(request, pk)
    if refused is not None:
        return refused
    version = report.current_version
    assert version is not None
    pollutants = _pollutants()
    prefix = "lines"
    above: list[str] = []
    status = 200
    note_form = ChangeNoteForm(request.POST or None, initial={"change_note": version.change_note})
    if request.method == "POST" and request.POST.get("add"):
        # "Add a pollutant": the rows as typed plus one for the pollutant chosen; nothing is
        # checked or saved until the person saves.
        code = str(request.POST.get("add_pollutant", ""))
        data = _with_row(request.POST, prefix, code) if code in pollutants else request.POST
        formset = LineFormSet(data, prefix=prefix, pollutants=pollutants)
        formset.show_errors = False  # type: ignore[attr-defined]
        note_form = ChangeNoteForm(initial={"change_note": request.POST.get("change_note", "")})
    elif request.method == "POST":
        formset = LineFormSet(request.POST, prefix=prefix, pollutants=pollutants)
        formset.show_errors = True  # type: ignore[attr-defined]
        valid = formset.is_valid() & note_form.is_valid()
        kept = [i for i, form in enumerate(formset.forms) if not (form.cleaned_data or {}).get("DELETE")]
        if valid:
            try:
                services.report_lines_save(
                    actor=principal_of(request.user),
                    report=report,
                    lines=[formset.forms[i].line() for i in kept],
                    change_note=note_form.cleaned_data.get("change_note") if version.number > 1 else None,
                )
            except DomainError as exc:
                above = place_errors(formset, note_form, exc, kept)
                status = exc.status
            else:
                return saved(request, _("已保存排放量。"), report)
        else:
            # The rows that parsed are checked as the service would, so that every problem shows
            # on its cell at once (nothing is saved either way).
            parsed = [i for i in kept if not formset.forms[i].errors]
            problems = services.line_errors(report, [formset.forms[i].line() for i in parsed])
            if problems:
                place_errors(formset, note_form, ValidationFailed("", errors=problems), parsed)
            status = 422
    else:
        formset = LineFormSet(
            initial=[line_initial(line) for line in version.lines.select_related("pollutant")],
            prefix=prefix,
            pollutants=pollutants,
        )
        formset.show_errors = False  # type: ignore[attr-defined]
    offered = {line.pollutant.code: line for line in version.lines.select_related("pollutant")}
    shown_codes = {str(f.pollutant_obj.code) for f in formset.forms if f.pollutant_obj is not None}
    return render(
        request,
        "emissions/reports_lines.html",
        {
            "report": report,
            "version": version,
            "title": _("填写排放量：%(unit)s %(year)s 年度")
            % {"unit": report.enterprise.name, "year": report.year},
            "formset": formset,
            "note_form": note_form,
            "above": above,
            "addable": [p for p in pollutants.values() if p.code not in shown_codes],
            "rows": [
                (form, offered.get(form.pollutant_obj.code if form.pollutant_obj else ""))
                for form in formset.forms
            ],
        },
        status=status,
    )


# --- attachments -------------------------------------------------------------------------------
@login_required
@multipart_post
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    report, refused = _editable(request, pk)
    if refused is not None:
        return refused
    form = AttachmentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            attachment = services.attachment_add(
                actor=principal_of(request.user),
                report=report,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            form.add_error("file" if exc.field == "file" else None, str(exc))
            status = exc.status
        else:
            return saved(
                request,
                _("已上传：%(name)s") % {"name": attachment.original_name},
                report.get_absolute_url() + "#attachments",
            )
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("上传附件：%(unit)s %(year)s 年度")
            % {"unit": report.enterprise.name, "year": report.year},
            "cancel_url": report.get_absolute_url(),
            "submit_label": _("上传"),
            "intro": _(
                "接受 PDF、图片（PNG/JPEG/GIF/WebP）与 Office 文档，按文件内容校验类型；单个文件不超过 %(mb)d MB。"
            )
            % {"mb": upload_limit_mb()},
        },
        status=status,
    )


def _attachment(request: HttpRequest, pk: int, action: str) -> ReportAttachment:
    return access(request.user, ReportAttachment.objects.select_related("version__report"), pk, action)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> Any:
    attachment = _attachment(request, pk, "emissions.view")
    return download(attachment.file, content_type=attachment.content_type, filename=attachment.original_name)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = _attachment(request, pk, "emissions.report")
    report = attachment.version.report
    try:
        services.attachment_delete(actor=principal_of(request.user), attachment=attachment)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(report)
    return saved(
        request,
        _("已删除：%(name)s") % {"name": attachment.original_name},
        report.get_absolute_url() + "#attachments",
    )


# --- the permit execution report ---------------------------------------------------------------
@login_required
def execution_template(request: HttpRequest) -> Any:
    require(request.user, "emissions.report")
    return xlsx_response(execution.template(), "排污许可执行报告年度排放量模板.xlsx")


def _stored_upload(request: HttpRequest, report: EmissionReport) -> dict[str, str] | None:
    held = request.session.get(SESSION_UPLOAD)
    if not held or held.get("report") != report.pk or not default_storage.exists(held.get("path", "")):
        return None
    return held


@login_required
@multipart_post
def execution_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1: the file; it is read (header and rows) and kept for the mapping step."""
    report, refused = _editable(request, pk)
    if refused is not None:
        return refused
    form = ExecutionUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = str(upload.name or "")
        try:
            if upload.size > settings.UPLOAD_MAX_BYTES:
                raise ValidationFailed(_("文件过大：单个文件不能超过 %(mb)d MB") % {"mb": upload_limit_mb()})
            if not name.lower().endswith((".xlsx", ".csv")):
                raise ValidationFailed(_("请上传 .xlsx 或 .csv 文件"))
            execution.read_sheet(upload, name)  # refuses what cannot be read, before keeping it
        except DomainError as exc:
            form.add_error("file", str(exc))
            status = exc.status
        else:
            upload.seek(0)
            data = upload.read()
            digest = hashlib.sha256(data).hexdigest()
            suffix = ".csv" if name.lower().endswith(".csv") else ".xlsx"
            target = f"{UPLOAD_FOLDER}/{digest}{suffix}"
            if not default_storage.exists(target):
                default_storage.save(target, ContentFile(data))
            request.session[SESSION_UPLOAD] = {
                "report": report.pk,
                "path": target,
                "name": name[:200],
                "sha256": digest,
            }
            return redirect("emissions:report_execution_map", pk=report.pk)
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "emissions/reports_execution_upload.html",
        {
            "report": report,
            "form": form,
            "title": _("导入排污许可执行报告：%(unit)s %(year)s 年度")
            % {"unit": report.enterprise.name, "year": report.year},
        },
        status=status,
    )


@login_required
def execution_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: which column is which field, then every row read, checked and saved (or none)."""
    report, refused = _editable(request, pk)
    if refused is not None:
        return refused
    held = _stored_upload(request, report)
    if held is None:
        messages.warning(request, _("请先上传执行报告数据文件。"))
        return redirect("emissions:report_execution_upload", pk=report.pk)
    with default_storage.open(held["path"], "rb") as handle:
        sheet = execution.read_sheet(handle, held["name"])
    form = MappingForm(
        request.POST or None, headers=sheet.headers, initial_mapping=execution.guess_mapping(sheet.headers)
    )
    problems: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        numbers: list[int] = []
        try:
            lines, numbers = execution.read_lines(sheet, mapping)
            services.execution_import(
                actor=principal_of(request.user),
                report=report,
                lines=lines,
                file=services.ExecutionFile(name=held["name"], sha256=held["sha256"]),
                change_note=form.cleaned_data.get("change_note")
                if report.current_version.number > 1
                else None,  # type: ignore[union-attr]
            )
        except DomainError as exc:
            status = exc.status
            if exc.errors and all("row" in e for e in exc.errors):
                problems = exc.errors
            elif exc.errors and numbers:
                problems = execution.located(exc.errors, sheet, mapping, numbers)
            else:
                problems = [
                    {"row": "", "column": "", "value": "", "message": e["message"]} for e in exc.errors
                ]
            form.add_error(None, str(exc))
        else:
            request.session.pop(SESSION_UPLOAD, None)
            if not ReportAttachment.objects.filter(file=held["path"]).exists():
                default_storage.delete(held["path"])
            return saved(request, _("已从执行报告导入 %(n)d 个污染物的排放量。") % {"n": len(lines)}, report)
    return render(
        request,
        "emissions/reports_execution_map.html",
        {
            "report": report,
            "form": form,
            "sheet": sheet,
            "preview": sheet.rows[:5],
            "problems": problems,
            "file_name": held["name"],
            "title": _("选择各列对应的字段：%(name)s") % {"name": held["name"]},
        },
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("reports/", ReportListView.as_view(), name="report_list"),
    path("reports/new/", report_create, name="report_create"),
    path("reports/execution-template.xlsx", execution_template, name="report_execution_template"),
    path("reports/<int:pk>/", report_detail, name="report_detail"),
    path("reports/<int:pk>/lines/", report_lines, name="report_lines"),
    path("reports/<int:pk>/attachments/", attachment_upload, name="attachment_upload"),
    path("reports/<int:pk>/execution/", execution_upload, name="report_execution_upload"),
    path("reports/<int:pk>/execution/columns/", execution_map, name="report_execution_map"),
    path("reports/attachments/<int:pk>/", attachment_download, name="attachment_download"),
    path("reports/attachments/<int:pk>/delete/", attachment_delete, name="attachment_delete"),
    # One URL per workflow button (emissions:report_submit …), all run by one handler.
    *action_urls(REPORT_ACTIONS, "reports/<int:pk>/", report_action, "report"),
]
