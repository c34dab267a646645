"""Emission total library routes: the management list (TOT-1), deadlines and extensions, overdue
units and reminders (TOT-2)."""

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, require, restrict
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload, filtered
from totalquota.api.fields import QueryYear, RecordId, day
from totalquota.api.lookups import zone_or_none
from totalquota.api.schemas import display, path
from totalquota.common.xlsx import read_table
from totalquota.emissions import deadlines
from totalquota.emissions.models import DeadlineExtension, ListChange, ListEntry, Reminder
from totalquota.emissions.services import listing as services
from totalquota.lib import dates, uscc
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Enterprise, Zone

router = Router(tags=["总量库"])


# --- schemas -------------------------------------------------------------------------------------
class ListEntryOut(Schema):
    id: int
    year: int
    enterprise_id: int
    enterprise_name: str
    uscc: str
    zone: str
    management_category: str
    basis: str
    listed: bool
    removed_reason: str
    added_by: str
    added_at: dt.datetime
    removed_by: str | None
    removed_at: dt.datetime | None

    resolve_enterprise_name = path("enterprise.name")
    resolve_uscc = path("enterprise.uscc")
    resolve_zone = path("zone.code")
    resolve_management_category = path("enterprise.management_category")
    resolve_added_by = path("added_by", str)
    resolve_removed_by = path("removed_by", str)


class CandidateOut(Schema):
    id: int
    name: str
    uscc: str
    zone: str
    management_category: str
    permit_number: str
    industry_code: str
    industry_name: str
    suggested_basis: str

    resolve_zone = path("zone.code")

    @staticmethod
    def resolve_suggested_basis(unit: Enterprise) -> str:
        return services.default_basis(unit)


class ListChangeOut(Schema):
    id: int
    entry_id: int
    year: int
    enterprise_id: int
    action: str
    action_label: str
    reason: str
    after_deadline: bool
    before: dict[str, Any]
    after: dict[str, Any]
    actor: str
    role: str
    at: dt.datetime

    resolve_year = path("entry.year")
    resolve_enterprise_id = path("entry.enterprise_id")
    resolve_action_label = display("action")
    resolve_actor = path("actor", str)


class AddIn(Schema):
    year: int
    enterprise_ids: list[RecordId] = Field(min_length=1, max_length=5000)
    basis: str = Field(max_length=200, description="列入依据，如“重点管理排污许可证”")
    reason: str = Field("", max_length=300, description="名录确定截止日后必填（TOT-1）")


class BasisIn(Schema):
    basis: str = Field(max_length=200)
    reason: str = Field("", max_length=300)


class ReasonIn(Schema):
    reason: str = Field("", max_length=300)


class ImportOut(Schema):
    added: int
    removed: int
    restored: int


class ExtensionIn(Schema):
    kind: str = Field(description="list（名录确定）| report（排放量申报）")
    year: int
    due_on: dt.date = day(dates.PLATFORM, "延期至（不顺延至工作日）")
    reason: str = Field(max_length=300)
    zone: str | None = Field(None, description="功能区代码；与 uscc 二选一")
    uscc: str | None = Field(None, description="排污单位统一社会信用代码；与 zone 二选一")


class ExtensionOut(Schema):
    id: int
    kind: str
    year: int
    zone: str | None
    enterprise_id: int | None
    due_on: dt.date
    reason: str
    granted_by: str
    granted_at: dt.datetime

    resolve_zone = path("zone.code")
    resolve_granted_by = path("granted_by", str)


class DueOut(Schema):
    """A listed unit's report of a year and where it stands (deadlines.UnitDue)."""

    entry_id: int
    enterprise_id: int
    enterprise_name: str
    zone: str
    due_on: dt.date
    rule_due_on: dt.date
    extension_id: int | None
    extension_reason: str
    state: str
    state_label: str
    days_left: int
    report_id: int | None

    resolve_entry_id = path("entry.pk")
    resolve_enterprise_id = path("entry.enterprise_id")
    resolve_enterprise_name = path("entry.enterprise.name")
    resolve_zone = path("entry.zone.code")
    resolve_due_on = path("due.on")
    resolve_rule_due_on = path("due.rule_on")
    resolve_extension_id = path("due.extension.pk")
    resolve_report_id = path("report.pk")

    @staticmethod
    def resolve_extension_reason(row: deadlines.UnitDue) -> str:
        return row.due.extension.reason if row.due.extension else ""


class RemindIn(Schema):
    year: int
    entry_ids: list[RecordId] = Field(min_length=1, max_length=5000)
    message: str = Field(max_length=300)


class ReminderOut(Schema):
    id: int
    year: int
    enterprise_id: int
    zone: str
    kind: str
    message: str
    due_on: dt.date | None
    sent_by: str | None
    sent_at: dt.datetime
    read_at: dt.datetime | None

    resolve_zone = path("zone.code")
    resolve_sent_by = path("sent_by", str)

    @staticmethod
    def resolve_message(reminder: Reminder) -> str:
        return services.reminder_text(reminder)


class ReadOut(Schema):
    read: int


class ListFilters(Schema):
    year: QueryYear | None = None
    zone: str = ""
    category: str = ""
    listed: bool | None = None
    q: str = ""


class CandidateFilters(Schema):
    year: int
    categories: list[str] = Field(default_factory=list, description="key | simplified | registration")
    zone: str = ""
    permit_holders: bool | None = None
    industry: str = ""


# --- helpers -------------------------------------------------------------------------------------
def _zone(code: str) -> Zone | None:
    return zone_or_none(code)


ENTRY_RELATED = ("enterprise", "zone", "added_by", "removed_by")


def _entries(request: ApiRequest) -> QuerySet[ListEntry]:
    return restrict(request.auth, ListEntry.objects.select_related(*ENTRY_RELATED), "emissions.view")


def _entry(request: ApiRequest, entry_id: int, permission: str) -> ListEntry:
    return access(request.auth, ListEntry.objects.select_related(*ENTRY_RELATED), entry_id, permission)


def _fresh(entry: ListEntry) -> ListEntry:
    return ListEntry.objects.select_related(*ENTRY_RELATED).get(pk=entry.pk)


# --- the list ------------------------------------------------------------------------------------
@router.get("/emissions/list", response=list[ListEntryOut], summary="重点排污单位名录（按权限范围，TOT-1）")
@paginate(Pages, page_size=100)
def list_entries(request: ApiRequest, filters: Query[ListFilters]):
    qs = filtered(
        _entries(request),
        year=filters.year,
        zone=_zone(filters.zone),
        enterprise__management_category=filters.category,
        listed=filters.listed,
    )
    for term in filters.q.split()[:8]:
        qs = qs.filter(Q(enterprise__name__icontains=term) | Q(enterprise__uscc__icontains=term))
    return qs.order_by("year", "zone__sort_order", "enterprise__name", "pk")


@router.get(
    "/emissions/list/candidates",
    response=list[CandidateOut],
    summary="从排污单位库提取名录：预览尚未列入的单位（TOT-1）",
    auth=allowed("emissions.manage_list"),
)
@paginate(Pages, page_size=200)
def list_candidates(request: ApiRequest, filters: Query[CandidateFilters]):
    return services.list_candidates(
        actor=request.auth,
        year=filters.year,
        categories=filters.categories,
        zone=_zone(filters.zone),
        permit_holders=filters.permit_holders,
        industry=filters.industry,
    )


@router.post(
    "/emissions/list",
    response={201: list[ListEntryOut]},
    summary="列入名录（所选单位，须有列入依据；截止日后须有理由，TOT-1）",
    auth=allowed("emissions.manage_list"),
)
def list_add(request: ApiRequest, payload: AddIn):
    units = list(
        restrict(request.auth, Enterprise.objects.select_related("zone"), "registry.view").filter(
            pk__in=payload.enterprise_ids
        )
    )
    missing = set(payload.enterprise_ids) - {u.pk for u in units}
    if missing:
        raise Http404
    entries = services.list_add(
        actor=request.auth, year=payload.year, enterprises=units, basis=payload.basis, reason=payload.reason
    )
    return Status(201, [_fresh(e) for e in entries])


@router.get("/emissions/list/history", response=list[ListChangeOut], summary="名录变更记录（TOT-1）")
@paginate(Pages, page_size=200)
def list_history(request: ApiRequest, year: QueryYear | None = None):
    qs = restrict(request.auth, ListChange.objects.select_related("entry", "actor"), "emissions.view")
    return filtered(qs, entry__year=year).order_by("at", "pk")


@router.get("/emissions/list/{int:entry_id}", response=ListEntryOut, summary="名录条目")
def get_entry(request: ApiRequest, entry_id: int):
    return _entry(request, entry_id, "emissions.view")


@router.get(
    "/emissions/list/{int:entry_id}/history", response=list[ListChangeOut], summary="名录条目的变更记录"
)
def entry_history(request: ApiRequest, entry_id: int):
    entry = _entry(request, entry_id, "emissions.view")
    return entry.changes.select_related("entry", "actor").order_by("at", "pk")


@router.post(
    "/emissions/list/{int:entry_id}/basis",
    response=ListEntryOut,
    summary="修改列入依据（截止日后须有理由）",
    auth=allowed("emissions.manage_list"),
)
def entry_edit(request: ApiRequest, entry_id: int, payload: BasisIn):
    entry = _entry(request, entry_id, "emissions.manage_list")
    return _fresh(
        services.list_edit(actor=request.auth, entry=entry, basis=payload.basis, reason=payload.reason)
    )


@router.post(
    "/emissions/list/{int:entry_id}/remove",
    response=ListEntryOut,
    summary="移出名录（必须说明理由；已填报申报的单位由生态环境局移出）",
    auth=allowed("emissions.manage_list"),
)
def entry_remove(request: ApiRequest, entry_id: int, payload: ReasonIn):
    entry = _entry(request, entry_id, "emissions.manage_list")
    return _fresh(services.list_remove(actor=request.auth, entry=entry, reason=payload.reason))


@router.post(
    "/emissions/list/{int:entry_id}/restore",
    response=ListEntryOut,
    summary="恢复列入名录（截止日后须有理由）",
    auth=allowed("emissions.manage_list"),
)
def entry_restore(request: ApiRequest, entry_id: int, payload: ReasonIn):
    entry = _entry(request, entry_id, "emissions.manage_list")
    return _fresh(services.list_restore(actor=request.auth, entry=entry, reason=payload.reason))


@router.post(
    "/emissions/list/import",
    response=ImportOut,
    summary="按模板批量列入、移出、恢复（任何一行有误则不写入，TOT-1）",
    auth=allowed_upload("emissions.manage_list"),
)
def list_import(request: ApiRequest, year: Form[int], file: File[UploadedFile]):
    rows = read_table(file, headers=list(services.IMPORT_COLUMNS))
    result = services.list_import(actor=request.auth, year=year, rows=rows)
    return {"added": result.added, "removed": result.removed, "restored": result.restored}


# --- deadlines -----------------------------------------------------------------------------------
@router.get(
    "/emissions/deadlines/extensions", response=list[ExtensionOut], summary="截止日期延期（按权限范围）"
)
def list_extensions(request: ApiRequest, year: QueryYear | None = None):
    qs = restrict(
        request.auth, DeadlineExtension.objects.select_related("zone", "granted_by"), "emissions.view"
    )
    return filtered(qs, year=year).order_by("-granted_at", "-pk")[:1000]


@router.post(
    "/emissions/deadlines/extensions",
    response={201: ExtensionOut},
    summary="延长一家单位或一个功能区的截止日期（须说明理由）",
    auth=allowed("emissions.extend_deadline"),
)
def extend_deadline(request: ApiRequest, payload: ExtensionIn):
    enterprise = None
    if payload.uscc:
        enterprise = Enterprise.objects.filter(uscc=uscc.normalize(payload.uscc)).first()
        if enterprise is None:
            raise ValidationFailed(
                gettext("平台中没有统一社会信用代码为 {code} 的排污单位").format(code=payload.uscc),
                field="uscc",
            )
    extension = services.deadline_extend(
        actor=request.auth,
        kind=payload.kind,
        year=payload.year,
        due_on=payload.due_on,
        reason=payload.reason,
        zone=_zone(payload.zone or ""),
        enterprise=enterprise,
    )
    return Status(201, extension)


# --- overdue and reminders ------------------------------------------------------------------------
@router.get(
    "/emissions/overdue",
    response=list[DueOut],
    summary="名录单位的申报截止日与申报情况（默认只列逾期和临近截止，TOT-2）",
)
def overdue(request: ApiRequest, year: int, zone: str = "", state: str = ""):
    principal = require(request.auth, "emissions.view")
    dates.check_scope_year(year)
    if state not in ("", "all", *deadlines.ReportState.values):
        raise ValidationFailed(
            gettext("state 应为 overdue、due_soon、pending、submitted 或 all"), field="state"
        )
    rows = deadlines.unit_dues(principal, year, zone=_zone(zone))
    if state == "":
        return [r for r in rows if r.state in (deadlines.ReportState.OVERDUE, deadlines.ReportState.DUE_SOON)]
    return rows if state == "all" else [r for r in rows if r.state == state]


@router.post(
    "/emissions/reminders",
    response={201: list[ReminderOut]},
    summary="提醒所选名录单位报送（TOT-2）",
    auth=allowed("emissions.remind"),
)
def remind(request: ApiRequest, payload: RemindIn):
    entries = list(
        restrict(
            request.auth, ListEntry.objects.select_related("enterprise", "zone"), "emissions.view"
        ).filter(pk__in=payload.entry_ids)
    )
    if len(entries) != len(set(payload.entry_ids)):
        raise Http404
    sent = services.reminders_send(
        actor=request.auth, year=payload.year, entries=entries, message=payload.message
    )
    return Status(
        201, list(Reminder.objects.filter(pk__in=[r.pk for r in sent]).select_related("zone", "sent_by"))
    )


@router.get(
    "/emissions/reminders/mine",
    response=list[ReminderOut],
    summary="本单位收到的提醒",
    auth=allowed("emissions.report"),
)
def my_reminders(request: ApiRequest, unread: bool = False):
    qs = restrict(request.auth, Reminder.objects.select_related("zone", "sent_by"), "emissions.view")
    if request.auth.enterprise_id is None:
        qs = qs.none()
    return (qs.filter(read_at__isnull=True) if unread else qs).order_by("-sent_at", "-pk")[:500]


@router.post(
    "/emissions/reminders/mine/read",
    response=ReadOut,
    summary="将本单位的提醒标为已读",
    auth=allowed("emissions.report"),
)
def read_reminders(request: ApiRequest, year: QueryYear | None = None):
    return {"read": services.reminders_mark_read(actor=request.auth, year=year)}
