"""Pages of the emission total library: the management list (TOT-1), deadlines and their
extensions, overdue lists and reminders (TOT-2)."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from totalquota.accounts.permissions import access, may, principal_of, require, restrict, zone_allowed
from totalquota.common.middleware import multipart_post
from totalquota.common.xlsx import export_filename, read_table, text_cells, write_workbook, xlsx_response
from totalquota.emissions import deadlines
from totalquota.emissions.forms_listing import (
    AddForm,
    EditForm,
    ExtendForm,
    ListChangeFilter,
    ListEntryFilter,
    ListImportForm,
    OverdueFilterForm,
    ProposeForm,
    ReasonForm,
    RemindForm,
    RemoveForm,
    emission_year,
)
from totalquota.emissions.models import DeadlineExtension, ListChange, ListEntry, Reminder
from totalquota.emissions.services import listing as services
from totalquota.lib import uscc
from totalquota.lib.errors import DomainError, NotFound
from totalquota.registry.models import Enterprise
from totalquota.registry.selectors import active_zones
from totalquota.web.forms import form_page, import_page, saved
from totalquota.web.lists import Button, Column, ScopedListView, export_heading, heading_time, model_columns


# --- the list ------------------------------------------------------------------------------------
class ListEntryListView(ScopedListView):
    model = ListEntry
    action = "emissions.view"
    title = gettext_lazy("重点排污单位名录（TOT-1）")
    export_name = gettext_lazy("重点排污单位名录")
    search_fields = ["enterprise__name", "enterprise__uscc", "basis", "removed_reason"]
    search_placeholder = gettext_lazy("单位名称、信用代码、列入依据")
    filterset_class = ListEntryFilter
    template_name = "emissions/listing_list.html"
    related = ("enterprise", "zone", "added_by")
    columns = model_columns(
        ListEntry,
        "year",
        Column(gettext_lazy("排污单位"), "enterprise.name", link=True),
        Column(gettext_lazy("统一社会信用代码"), "enterprise.uscc"),
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("管理类别"), "enterprise.management_category"),
        Column(gettext_lazy("列入依据"), "basis", css="wrap"),
        "listed",
        Column(gettext_lazy("移出理由"), "removed_reason", css="wrap"),
        "added_by",
    )
    buttons = [
        Button("emissions.manage_list", gettext_lazy("从排污单位库提取"), "emissions:list_propose"),
        Button(
            "emissions.manage_list",
            gettext_lazy("批量导入"),
            "emissions:list_import",
            icon="bi-upload",
            style="outline-primary",
        ),
        Button(
            "emissions.view",
            gettext_lazy("变更记录"),
            "emissions:list_history",
            icon="bi-clock-history",
            style="outline-secondary",
        ),
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = _year_of(self.request)
        context["deadline_year"] = year
        context["list_due"] = _safe(lambda: deadlines.list_due(year))
        return context


def _year_of(request: HttpRequest) -> int:
    text = str(request.GET.get("year", "")).strip()
    return int(text) if text.isdigit() and 2021 <= int(text) <= 2100 else emission_year()


def _safe(read: Any) -> Any:
    """A deadline for a page's header; ``None`` when a rule parameter is missing (the page says so)."""
    try:
        return read()
    except DomainError:
        return None


class ListChangeListView(ScopedListView):
    model = ListChange
    action = "emissions.view"
    title = gettext_lazy("名录变更记录（TOT-1）")
    export_name = gettext_lazy("名录变更记录")
    search_fields = ["entry__enterprise__name", "entry__enterprise__uscc", "reason"]
    search_placeholder = gettext_lazy("单位名称、信用代码、理由")
    filterset_class = ListChangeFilter
    related = ("entry__enterprise", "entry__zone", "actor")
    columns = model_columns(
        ListChange,
        "at",
        Column(gettext_lazy("排放年度"), "entry.year"),
        Column(gettext_lazy("排污单位"), lambda c: c.entry.enterprise.name),
        Column(gettext_lazy("功能区"), "entry.zone.name"),
        "action",
        Column(gettext_lazy("变更前"), lambda c: change_text(c.before), css="wrap small"),
        Column(gettext_lazy("变更后"), lambda c: change_text(c.after), css="wrap small"),
        Column(gettext_lazy("理由"), "reason", css="wrap"),
        "after_deadline actor",
        Column(gettext_lazy("角色"), lambda c: _role_label(c.role)),
    )


def _role_label(role: str) -> str:
    from totalquota.accounts.roles import Role

    return str(Role(role).label) if role in Role.values else role


def change_text(values: dict[str, Any]) -> str:
    """An entry's state in a change (before or after) as a person reads it."""
    if not values:
        return ""
    parts = [_("在名录中") if values.get("listed") else _("已移出")]
    if values.get("basis"):
        parts.append(_("依据：%(basis)s") % {"basis": values["basis"]})
    if values.get("removed_reason"):
        parts.append(_("移出理由：%(reason)s") % {"reason": values["removed_reason"]})
    if values.get("had_report"):
        parts.append(_("已填报申报"))
    return "；".join(parts)


def _entry(request: HttpRequest, pk: int, permission: str) -> ListEntry:
    return access(request.user, ListEntry.objects.select_related("enterprise", "zone"), pk, permission)


@login_required
def list_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """An entry of the list with its whole history."""
    entry = _entry(request, pk, "emissions.view")
    can_manage = may(request.user, "emissions.manage_list") and zone_allowed(request.user, entry.zone_id)
    return render(
        request,
        "emissions/listing_entry.html",
        {
            "entry": entry,
            "title": _("%(year)s 年度名录：%(unit)s") % {"year": entry.year, "unit": entry.enterprise.name},
            "changes": entry.changes.select_related("actor").order_by("at", "pk"),
            "change_text": change_text,
            "can_manage": can_manage,
            "late": _safe(lambda: services.after_deadline(entry.year, entry.zone)),
            "list_due": _safe(lambda: deadlines.list_due(entry.year, entry.zone)),
            "report_due": _safe(
                lambda: deadlines.report_due_detail(entry.enterprise, entry.year, entry.zone)
            ),
        },
    )


def _entry_form(
    request: HttpRequest, pk: int, form_class: type, save: Any, title: str, done: str, initial=None
):
    entry = _entry(request, pk, "emissions.manage_list")
    actor = principal_of(request.user)
    return form_page(
        request,
        form_class(request.POST or None, initial=initial(entry) if initial else None),
        save=lambda data: save(actor, entry, data),
        done=lambda e: saved(request, done, e),
        title=title % {"unit": entry.enterprise.name, "year": entry.year},
        cancel_url=entry.get_absolute_url(),
        invalid_status=422,
    )


@login_required
def list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _entry_form(
        request,
        pk,
        EditForm,
        lambda actor, entry, data: services.list_edit(actor=actor, entry=entry, **data),
        _("修改列入依据：%(unit)s（%(year)s 年度）"),
        _("已修改列入依据。"),
        initial=lambda entry: {"basis": entry.basis},
    )


@login_required
def list_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _entry_form(
        request,
        pk,
        RemoveForm,
        lambda actor, entry, data: services.list_remove(actor=actor, entry=entry, **data),
        _("移出名录：%(unit)s（%(year)s 年度）"),
        _("已移出名录。"),
    )


@login_required
def list_restore(request: HttpRequest, pk: int) -> HttpResponse:
    return _entry_form(
        request,
        pk,
        ReasonForm,
        lambda actor, entry, data: services.list_restore(actor=actor, entry=entry, **data),
        _("恢复列入名录：%(unit)s（%(year)s 年度）"),
        _("已恢复列入名录。"),
    )


@login_required
def list_propose(request: HttpRequest) -> HttpResponse:
    """Propose from the registry: the filters, a preview of the candidates not yet listed, and the
    units chosen added with a basis (TOT-1)."""
    actor = require(request.user, "emissions.manage_list")
    zones = active_zones(actor)
    data = request.POST if request.method == "POST" else (request.GET if "year" in request.GET else None)
    filters = ProposeForm(data, zones=zones, initial={"year": emission_year()})
    add_form = AddForm(request.POST if request.method == "POST" else None)
    candidates: list[Enterprise] = []
    status = 200
    if filters.is_bound and filters.is_valid():
        f = filters.cleaned_data
        query = {
            "actor": actor,
            "year": f["year"],
            "categories": f["categories"],
            "zone": f["zone"],
            "permit_holders": f["permit_holders"],
            "industry": f["industry"],
        }
        candidates = list(services.list_candidates(**query)[:1000])
        if request.method == "POST":
            chosen = {int(x) for x in request.POST.getlist("enterprise") if str(x).isdigit()}
            picked = [c for c in candidates if c.pk in chosen]
            if add_form.is_valid():
                try:
                    entries = services.list_add(
                        actor=actor, year=f["year"], enterprises=picked, **add_form.cleaned_data
                    )
                except DomainError as exc:
                    add_form.add_error(None, str(exc))
                else:
                    return saved(
                        request,
                        _("已将 %(n)d 家单位列入 %(year)s 年度名录。")
                        % {"n": len(entries), "year": f["year"]},
                        reverse("emissions:list_list") + f"?year={f['year']}",
                    )
            status = 422
    elif filters.is_bound:
        status = 422
    return render(
        request,
        "emissions/listing_propose.html",
        {
            "title": _("从排污单位库提取名录（TOT-1）"),
            "filters": filters,
            "add_form": add_form,
            "candidates": candidates,
            "chosen": {int(x) for x in request.POST.getlist("enterprise") if str(x).isdigit()},
            "default_basis": services.default_basis,
            "searched": filters.is_bound,
        },
        status=status,
    )


# --- import --------------------------------------------------------------------------------------
@login_required
@multipart_post
def list_import(request: HttpRequest) -> HttpResponse:
    actor = require(request.user, "emissions.manage_list")
    form = ListImportForm(request.POST or None, request.FILES or None, initial={"year": emission_year()})

    def save(file: Any) -> services.ListImportResult:
        rows = read_table(file, headers=list(services.IMPORT_COLUMNS))
        return services.list_import(actor=actor, year=form.cleaned_data["year"], rows=rows)

    return import_page(
        request,
        form,
        save=save,
        done=lambda result: saved(
            request,
            _("导入完成：列入 %(a)d 家，移出 %(r)d 家，恢复 %(s)d 家。")
            % {"a": result.added, "r": result.removed, "s": result.restored},
            reverse("emissions:list_list") + f"?year={form.cleaned_data['year']}",
        ),
        title=_("批量导入名录（TOT-1）"),
        template="emissions/listing_import.html",
    )


@login_required
def list_template(request: HttpRequest) -> FileResponse:
    """The import template: the four columns, a drop-down for the operation, and instructions."""
    require(request.user, "emissions.manage_list")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "名录"
    ws.append(list(services.IMPORT_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
    for letter, width in zip("ABCD", (24, 36, 12, 48), strict=True):
        ws.column_dimensions[letter].width = width
    for row in range(2, 2002):
        ws[f"A{row}"].number_format = "@"
    operations = DataValidation(type="list", formula1='"列入,移出,恢复"', allow_blank=False)
    ws.add_data_validation(operations)
    operations.add("C2:C2001")
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    for line in [
        ("列", "说明"),
        ("统一社会信用代码", "必填，平台中已登记的排污单位；功能区人员只能填写本功能区的单位"),
        ("列入依据", "列入时填写，如“重点管理排污许可证”；不填时按单位的许可管理类别填写"),
        ("操作", "列入 / 移出 / 恢复（恢复已移出的单位）"),
        ("理由", "移出必须填写；名录确定截止日后每一行都必须填写（TOT-1）"),
        ("规则", "同一单位只能出现一行；任何一行有错误时整个文件不予导入，平台逐行列出错误"),
    ]:
        notes.append(line)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 90
    out = tempfile.SpooledTemporaryFile()
    text_cells(wb).save(out)
    out.seek(0)
    return xlsx_response(out, "重点排污单位名录导入模板.xlsx")


# --- deadlines -----------------------------------------------------------------------------------
class ExtensionListView(ScopedListView):
    model = DeadlineExtension
    action = "emissions.view"
    title = gettext_lazy("截止日期与延期（TOT-1、TOT-2）")
    export_name = gettext_lazy("截止日期延期")
    template_name = "emissions/listing_deadlines.html"
    search_fields = ["enterprise__name", "zone__name", "reason"]
    related = ("zone", "enterprise", "granted_by")
    columns = model_columns(
        DeadlineExtension,
        "kind year",
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        "due_on",
        Column(gettext_lazy("理由"), "reason", css="wrap"),
        "granted_by granted_at",
    )
    buttons = [Button("emissions.extend_deadline", gettext_lazy("延期"), "emissions:deadline_extend")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = _year_of(self.request)
        principal = principal_of(self.request.user)
        context["deadline_year"] = year
        context["list_due"] = _safe(lambda: deadlines.list_due(year))
        context["zone_dues"] = [
            (zone, _safe(lambda z=zone: deadlines.zone_report_due(year, z)))
            for zone in active_zones(principal)
        ]
        return context


@login_required
def deadline_extend(request: HttpRequest) -> HttpResponse:
    actor = require(request.user, "emissions.extend_deadline")

    def save(data: dict[str, Any]) -> DeadlineExtension:
        code = uscc.normalize(data.pop("enterprise") or "")
        enterprise = None
        if code:
            enterprise = restrict(actor, Enterprise, "registry.view").filter(uscc=code).first()
            if enterprise is None:
                raise NotFound(_("平台中没有该统一社会信用代码的排污单位"), field="enterprise")
        return services.deadline_extend(actor=actor, enterprise=enterprise, **data)

    return form_page(
        request,
        ExtendForm(request.POST or None, initial={"year": emission_year()}),
        save=save,
        done=lambda _e: saved(request, _("已延期。"), "emissions:deadline_list"),
        title=_("延长截止日期"),
        cancel_url=reverse("emissions:deadline_list"),
        intro=_(
            "为一家排污单位或一个功能区延长名录确定或排放量申报的截止日期，须说明理由；单位本身的延期优先于其功能区的延期。"
        ),
        invalid_status=422,
    )


# --- overdue lists and reminders ------------------------------------------------------------------
OVERDUE_STATES = (deadlines.ReportState.OVERDUE, deadlines.ReportState.DUE_SOON)


def _overdue_rows(request: HttpRequest) -> tuple[OverdueFilterForm, int, list[deadlines.UnitDue]]:
    principal = principal_of(request.user)
    form = OverdueFilterForm(request.GET or None, zones=active_zones(principal))
    year, zone, state = emission_year(), None, ""
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"] or year
        zone = form.cleaned_data["zone"]
        state = form.cleaned_data["state"]
    rows = deadlines.unit_dues(principal, year, zone=zone)
    if state == "":
        rows = [r for r in rows if r.state in OVERDUE_STATES]
    elif state != "all":
        rows = [r for r in rows if r.state == state]
    return form, year, rows


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Listed units that have not reported: overdue and due soon, per zone, with their due date and
    extension; exportable; the zones and the bureau remind the units chosen."""
    principal = require(request.user, "emissions.view")
    try:
        form, year, rows = _overdue_rows(request)
    except DomainError as exc:  # a rule parameter is missing
        messages.error(request, str(exc))
        form, year, rows = OverdueFilterForm(zones=active_zones(principal)), emission_year(), []
    if request.GET.get("export") == "xlsx":
        return _overdue_export(request, year, rows)
    summary: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = summary.setdefault(row.entry.zone.name, {s: 0 for s in deadlines.ReportState.values})
        counts[row.state] += 1
    query = request.GET.copy()
    query.pop("export", None)
    return render(
        request,
        "emissions/listing_overdue.html",
        {
            "title": _("未按期申报的单位（TOT-2）"),
            "form": form,
            "year": year,
            "rows": rows,
            "summary": summary,
            "can_remind": may(principal, "emissions.remind"),
            "remind_form": RemindForm(
                initial={"message": _("请于截止日前报送 %(year)s 年度排放量申报（TOT-2）。") % {"year": year}}
            ),
            "query_string": query.urlencode(),
            "is_unit": principal.enterprise_id is not None,
        },
    )


def _overdue_export(request: HttpRequest, year: int, rows: list[deadlines.UnitDue]):
    headers = [
        _("排放年度"),
        _("功能区"),
        _("排污单位"),
        _("统一社会信用代码"),
        _("申报截止日"),
        _("规则截止日"),
        _("延期理由"),
        _("申报情况"),
        _("距截止日天数"),
    ]
    data = [
        [
            year,
            r.entry.zone.name,
            r.entry.enterprise.name,
            r.entry.enterprise.uscc,
            r.due.on,
            r.due.rule_on,
            r.due.extension.reason if r.due.extension else "",
            r.state_label,
            r.days_left,
        ]
        for r in rows
    ]
    title = str(_("未按期申报的单位"))
    heading = export_heading(request.user, title, [(str(_("排放年度")), str(year))])
    notes = [(_("导出时间"), heading_time()), (_("导出人"), str(request.user))]
    file = write_workbook(
        [(title, headers, data), (_("说明"), [_("项目"), _("内容")], notes)], heading=heading
    )
    return xlsx_response(file, export_filename(title, timezone.localdate()))


@login_required
@require_POST
def overdue_remind(request: HttpRequest) -> HttpResponse:
    """Remind the units chosen on the overdue list (emissions.remind)."""
    actor = require(request.user, "emissions.remind")
    form = RemindForm(request.POST)
    year_text = str(request.POST.get("year", ""))
    back = reverse("emissions:overdue") + (f"?year={year_text}" if year_text.isdigit() else "")
    ids = [int(x) for x in request.POST.getlist("entry") if str(x).isdigit()]
    if not form.is_valid() or not year_text.isdigit():
        messages.error(request, _("请填写提醒内容"))
        return redirect(back)
    entries = restrict(
        actor, ListEntry.objects.select_related("enterprise", "zone"), "emissions.view"
    ).filter(pk__in=ids)
    try:
        sent = services.reminders_send(
            actor=actor, year=int(year_text), entries=entries, message=form.cleaned_data["message"]
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已向 %(n)d 家单位发送提醒。") % {"n": len(sent)})
    return redirect(back)


reminder_text = services.reminder_text


class ReminderListView(ScopedListView):
    """A unit's reminders (opening the page marks them read); the reminders sent, for the zones
    and the bureau."""

    model = Reminder
    action = "emissions.view"
    title = gettext_lazy("催报提醒（TOT-2）")
    export_name = gettext_lazy("催报提醒")
    search_fields = ["enterprise__name", "message"]
    related = ("enterprise", "zone", "sent_by")
    columns = model_columns(
        Reminder,
        "sent_at year",
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("功能区"), "zone.name"),
        "kind",
        Column(gettext_lazy("提醒内容"), reminder_text, css="wrap"),
        "due_on",
        Column(gettext_lazy("提醒人"), lambda r: str(r.sent_by) if r.sent_by else _("平台")),
        "read_at",
    )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        principal = principal_of(request.user)
        if principal.enterprise_id is not None and may(principal, "emissions.report"):
            # Rendered first, so the unit sees which were new; then they are read.
            if hasattr(response, "render"):
                response.render()
            services.reminders_mark_read(actor=principal)
        return response


urlpatterns: list[URLPattern] = [
    path("list/", ListEntryListView.as_view(), name="list_list"),
    path("list/propose/", list_propose, name="list_propose"),
    path("list/import/", list_import, name="list_import"),
    path("list/import/template/", list_template, name="list_template"),
    path("list/history/", ListChangeListView.as_view(), name="list_history"),
    path("list/<int:pk>/", list_entry, name="list_entry"),
    path("list/<int:pk>/edit/", list_edit, name="list_edit"),
    path("list/<int:pk>/remove/", list_remove, name="list_remove"),
    path("list/<int:pk>/restore/", list_restore, name="list_restore"),
    path("deadlines/", ExtensionListView.as_view(), name="deadline_list"),
    path("deadlines/extend/", deadline_extend, name="deadline_extend"),
    path("overdue/", overdue, name="overdue"),
    path("overdue/remind/", overdue_remind, name="overdue_remind"),
    path("reminders/", ReminderListView.as_view(), name="reminders"),
]
