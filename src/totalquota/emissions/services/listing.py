"""Writes of the management list (TOT-1), its deadlines and the reminders (TOT-2).

The management list of an emission year names the units that must report. The bureau (admin,
reviewer) edits it park-wide, a zone officer in their zone only. Every change (add, edit of the
basis, remove, restore) writes a :class:`~totalquota.emissions.models.ListChange` with the state
before and after, the actor and role and the reason, and an audit event. A removal always needs a
reason; after the list's deadline (:func:`~totalquota.emissions.deadlines.list_due`, per zone with
its extension) every change does, and is marked ``after_deadline``.

A unit that has opened its report of the year is removed only by the bureau: a zone officer is
refused (403). The bureau may remove it (a unit listed by mistake); its report is kept as filed,
the change notes that it had one, and the report can no longer be submitted for a unit that is not
listed only if the reports area decides so (today it can: the report's entry is kept).

Every check runs before the first write: a refusal leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, in_zones, require, zone_allowed
from totalquota.accounts.roles import Role
from totalquota.audit.services import record
from totalquota.common.once import is_unique_violation
from totalquota.emissions import deadlines
from totalquota.emissions.models import (
    DeadlineExtension,
    DeadlineKind,
    EmissionReport,
    ListAction,
    ListChange,
    ListEntry,
    Reminder,
    ReminderKind,
)
from totalquota.lib import dates, uscc
from totalquota.lib.errors import Conflict, Forbidden, ValidationFailed
from totalquota.outbox import emit
from totalquota.registry.models import Enterprise, ManagementCategory, Zone

BUREAU_ROLES = (Role.ADMIN, Role.REVIEWER)
BASIS_MAX = ListEntry._meta.get_field("basis").max_length or 200
REASON_MAX = ListChange._meta.get_field("reason").max_length or 300


# --- the list ----------------------------------------------------------------------------------
def state(entry: ListEntry) -> dict[str, Any]:
    """An entry as a change keeps it (before and after)."""
    return {"listed": entry.listed, "basis": entry.basis, "removed_reason": entry.removed_reason}


def after_deadline(year: int, zone: Zone | None, today: dt.date | None = None) -> bool:
    """Whether a change of ``year``'s list in ``zone`` comes after the list's deadline (TOT-1)."""
    return (today or timezone.localdate()) > deadlines.list_due(year, zone)


def _text(value: Any) -> str:
    return str(value or "").strip()


def _check_reason(reason: str, *, needed: bool, late: bool, field_name: str = "reason") -> None:
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            gettext("理由不超过 {n} 字").format(n=REASON_MAX), field=field_name, clause="TOT-1"
        )
    if reason:
        return
    if needed:
        raise ValidationFailed(gettext("移出名录须填写理由"), field=field_name, clause="TOT-1")
    if late:
        raise ValidationFailed(
            gettext("名录确定截止日后的每项变更都须填写理由"), field=field_name, clause="TOT-1"
        )


def _check_basis(basis: str) -> None:
    if not basis:
        raise ValidationFailed(
            gettext("请填写列入依据（如“重点管理排污许可证”）"), field="basis", clause="TOT-1"
        )
    if len(basis) > BASIS_MAX:
        raise ValidationFailed(
            gettext("列入依据不超过 {n} 字").format(n=BASIS_MAX), field="basis", clause="TOT-1"
        )


def _check_zone(actor: Principal, zone_id: int) -> None:
    # Zone officers edit their zone's list only; the bureau the whole park's.
    if not zone_allowed(actor, zone_id):
        raise Forbidden(gettext("只能编制本功能区排污单位的名录"))


def _has_report(entry: ListEntry) -> bool:
    return EmissionReport.objects.filter(entry=entry).exists()


def _check_removal(actor: Principal, entry: ListEntry) -> None:
    """A unit that has opened its report is removed by the bureau only (403 for a zone officer)."""
    if actor.role not in BUREAU_ROLES and _has_report(entry):
        raise Forbidden(gettext("该单位已填报本年度排放量申报，须由生态环境局移出名录"))


def _change(
    actor: Principal,
    entry: ListEntry,
    action: str,
    before: dict[str, Any],
    *,
    reason: str,
    late: bool,
    extra: dict[str, Any] | None = None,
) -> ListChange:
    after = state(entry)
    change = ListChange.objects.create(
        entry=entry,
        action=action,
        reason=reason,
        after_deadline=late,
        before=before,
        after={**after, **(extra or {})},
        actor=actor.user,
        role=str(actor.role),
    )
    record(
        actor=actor,
        action=f"emissions.list_{action}",
        obj=entry,
        before=before or None,
        after={**after, "reason": reason, "after_deadline": late, **(extra or {})},
    )
    return change


def _locked(entry: ListEntry) -> ListEntry:
    # Lock order step 1 (ledger.services): the entry's row, so that two changes of one entry
    # (a removal and a restore from two pages) queue one behind the other and each sees the other.
    return ListEntry.objects.select_for_update().select_related("enterprise", "zone").get(pk=entry.pk)


def list_candidates(
    *,
    actor: Principal,
    year: int,
    categories: Iterable[str] = (),
    zone: Zone | None = None,
    permit_holders: bool | None = None,
    industry: str = "",
) -> QuerySet[Enterprise]:
    """The registry's units in ``actor``'s zones not yet on ``year``'s list (listed or removed),
    filtered by management category, zone, permit holding (a permit number) and industry (code
    prefix or name): the preview of a proposal (TOT-1)."""
    require(actor, "emissions.manage_list")
    dates.check_scope_year(year)
    qs = in_zones(actor, Enterprise.objects.filter(is_active=True), "zone_id").select_related("zone")
    qs = qs.exclude(list_entries__year=year)
    categories = [c for c in categories if c]
    if categories:
        qs = qs.filter(management_category__in=categories)
    if zone is not None:
        qs = qs.filter(zone=zone)
    if permit_holders is True:
        qs = qs.exclude(permit_number="")
    elif permit_holders is False:
        qs = qs.filter(permit_number="")
    industry = _text(industry)
    if industry:
        qs = qs.filter(Q(industry_code__istartswith=industry) | Q(industry_name__icontains=industry))
    return qs.order_by("zone__sort_order", "name")


def default_basis(enterprise: Enterprise) -> str:
    """A basis to offer for a unit: its permit's management category (``重点管理排污许可证``)."""
    if enterprise.permit_number and enterprise.management_category != ManagementCategory.REGISTRATION:
        return f"{ManagementCategory(enterprise.management_category).label}排污许可证"
    return ""


@transaction.atomic
def list_add(
    *, actor: Principal, year: int, enterprises: Iterable[Enterprise], basis: str, reason: str = ""
) -> list[ListEntry]:
    """Put ``enterprises`` on ``year``'s list with ``basis`` (TOT-1)."""
    require(actor, "emissions.manage_list")
    dates.check_scope_year(year)
    units = list(enterprises)
    basis, reason = _text(basis), _text(reason)
    if not units:
        raise ValidationFailed(gettext("请至少选择一家排污单位"), field="enterprises", clause="TOT-1")
    _check_basis(basis)
    for unit in units:
        _check_zone(actor, unit.zone_id)
    present = set(
        ListEntry.objects.filter(year=year, enterprise__in=units).values_list("enterprise__name", flat=True)
    )
    if present:
        raise Conflict(
            gettext("{year} 年度名录中已有：{names}（已移出的请恢复列入）").format(
                year=year, names="、".join(sorted(present))
            ),
            clause="TOT-1",
        )
    lateness = {unit.zone_id: after_deadline(year, unit.zone) for unit in units}
    _check_reason(reason, needed=False, late=any(lateness.values()))
    return [_add(actor, unit, year, basis, reason, lateness[unit.zone_id]) for unit in units]


def _add(actor: Principal, unit: Enterprise, year: int, basis: str, reason: str, late: bool) -> ListEntry:
    try:
        with transaction.atomic():
            entry = ListEntry.objects.create(
                year=year, enterprise=unit, zone=unit.zone, basis=basis, added_by=actor.user
            )
    except IntegrityError as exc:  # a parallel request listed it first
        if not is_unique_violation(exc):
            raise
        raise Conflict(
            gettext("{unit} 已在 {year} 年度名录中").format(unit=unit, year=year), clause="TOT-1"
        ) from None
    _change(actor, entry, ListAction.ADD, {}, reason=reason, late=late)
    return entry


@transaction.atomic
def list_edit(*, actor: Principal, entry: ListEntry, basis: str, reason: str = "") -> ListEntry:
    """Change the basis an entry was listed on."""
    require(actor, "emissions.manage_list")
    entry = _locked(entry)
    _check_zone(actor, entry.zone_id)
    basis, reason = _text(basis), _text(reason)
    _check_basis(basis)
    if basis == entry.basis:
        raise Conflict(gettext("列入依据没有变化"), clause="TOT-1")
    late = after_deadline(entry.year, entry.zone)
    _check_reason(reason, needed=False, late=late)
    before = state(entry)
    entry.basis = basis
    entry.save(update_fields=["basis"])
    _change(actor, entry, ListAction.EDIT, before, reason=reason, late=late)
    return entry


@transaction.atomic
def list_remove(*, actor: Principal, entry: ListEntry, reason: str) -> ListEntry:
    """Take a unit off the list, with a reason (always, TOT-1)."""
    require(actor, "emissions.manage_list")
    entry = _locked(entry)
    _check_zone(actor, entry.zone_id)
    reason = _text(reason)
    if not entry.listed:
        raise Conflict(gettext("{unit} 已移出名录").format(unit=entry.enterprise), clause="TOT-1")
    late = after_deadline(entry.year, entry.zone)
    _check_reason(reason, needed=True, late=late)
    _check_removal(actor, entry)
    return _remove(actor, entry, reason, late)


def _remove(actor: Principal, entry: ListEntry, reason: str, late: bool) -> ListEntry:
    before = state(entry)
    entry.listed = False
    entry.removed_reason = reason
    entry.removed_by = actor.user
    entry.removed_at = timezone.now()
    entry.save(update_fields=["listed", "removed_reason", "removed_by", "removed_at"])
    extra = {"had_report": True} if _has_report(entry) else None
    _change(actor, entry, ListAction.REMOVE, before, reason=reason, late=late, extra=extra)
    return entry


@transaction.atomic
def list_restore(*, actor: Principal, entry: ListEntry, reason: str = "") -> ListEntry:
    """Put a removed unit back on the list."""
    require(actor, "emissions.manage_list")
    entry = _locked(entry)
    _check_zone(actor, entry.zone_id)
    reason = _text(reason)
    if entry.listed:
        raise Conflict(gettext("{unit} 在名录中，无须恢复").format(unit=entry.enterprise), clause="TOT-1")
    late = after_deadline(entry.year, entry.zone)
    _check_reason(reason, needed=False, late=late)
    return _restore(actor, entry, reason, late)


def _restore(actor: Principal, entry: ListEntry, reason: str, late: bool) -> ListEntry:
    before = state(entry)
    entry.listed = True
    entry.removed_reason = ""
    entry.removed_by = None
    entry.removed_at = None
    entry.save(update_fields=["listed", "removed_reason", "removed_by", "removed_at"])
    _change(actor, entry, ListAction.RESTORE, before, reason=reason, late=late)
    return entry


# --- the XLSX import ---------------------------------------------------------------------------
IMPORT_COLUMNS = ("统一社会信用代码", "列入依据", "操作", "理由")
OPERATIONS: dict[str, str] = {
    "列入": ListAction.ADD,
    "移出": ListAction.REMOVE,
    "恢复": ListAction.RESTORE,
    "恢复列入": ListAction.RESTORE,
    "add": ListAction.ADD,
    "remove": ListAction.REMOVE,
    "restore": ListAction.RESTORE,
}


@dataclass
class ListImportResult:
    added: int = 0
    removed: int = 0
    restored: int = 0
    entries: list[ListEntry] = field(default_factory=list)


@transaction.atomic
def list_import(*, actor: Principal, year: int, rows: list[dict[str, Any]]) -> ListImportResult:
    """Apply the rows of the list template to ``year``'s list, all or nothing (TOT-1).

    Each row names a unit by its credit code, an operation (列入 / 移出 / 恢复), the basis (for
    列入; an empty basis keeps the platform's offer) and a reason (for 移出 always, after the
    deadline for every row). Every row is checked first; any problem and nothing is written, the
    problems (``row``, ``column``, ``value``, ``message``) listed in the refusal."""
    require(actor, "emissions.manage_list")
    dates.check_scope_year(year)
    if not rows:
        raise ValidationFailed(gettext("文件中没有数据行"), clause="TOT-1")
    code_col, basis_col, op_col, reason_col = IMPORT_COLUMNS
    codes = {uscc.normalize(_text(r.get(code_col))) for r in rows}
    units = {e.uscc: e for e in Enterprise.objects.select_related("zone").filter(uscc__in=codes)}
    entries = {
        e.enterprise_id: e
        for e in ListEntry.objects.select_related("zone").filter(year=year, enterprise__uscc__in=codes)
    }
    reported = set(
        EmissionReport.objects.filter(year=year, enterprise__uscc__in=codes).values_list(
            "enterprise_id", flat=True
        )
    )
    late_by_zone: dict[int, bool] = {}
    problems: list[dict[str, Any]] = []
    plans: list[tuple[str, Enterprise, ListEntry | None, str, str, bool]] = []
    seen: dict[str, int] = {}

    def bad(number: int, column: str, value: Any, message: str) -> None:
        problems.append({"row": number, "column": column, "value": _text(value), "message": message})

    for row in rows:
        number = int(row.get("_row", 0))
        raw_code, basis, raw_op, reason = (_text(row.get(c)) for c in IMPORT_COLUMNS)
        code = uscc.normalize(raw_code)
        before = len(problems)
        if not code:
            bad(number, code_col, raw_code, gettext("请填写统一社会信用代码"))
            continue
        if code in seen:
            bad(number, code_col, raw_code, gettext("与第 {n} 行重复").format(n=seen[code]))
            continue
        seen[code] = number
        unit = units.get(code)
        if unit is None:
            bad(number, code_col, raw_code, gettext("平台中没有该统一社会信用代码的排污单位"))
            continue
        if not zone_allowed(actor, unit.zone_id):
            bad(number, code_col, raw_code, gettext("该单位不属于本功能区，不能编入本功能区名录"))
            continue
        op = OPERATIONS.get(raw_op.lower() if raw_op.isascii() else raw_op)
        if op is None:
            bad(number, op_col, raw_op, gettext("操作应为“列入”“移出”或“恢复”"))
            continue
        entry = entries.get(unit.pk)
        zone = entry.zone if entry is not None else unit.zone
        if zone.pk not in late_by_zone:
            late_by_zone[zone.pk] = after_deadline(year, zone)
        late = late_by_zone[zone.pk]
        if op == ListAction.ADD:
            basis = basis or default_basis(unit)
            if entry is not None:
                bad(
                    number,
                    op_col,
                    raw_op,
                    gettext("该单位已在名录中") if entry.listed else gettext("该单位已移出名录，请用“恢复”"),
                )
            if not basis:
                bad(number, basis_col, basis, gettext("请填写列入依据"))
            elif len(basis) > BASIS_MAX:
                bad(number, basis_col, basis, gettext("列入依据不超过 {n} 字").format(n=BASIS_MAX))
        elif op == ListAction.REMOVE:
            if entry is None or not entry.listed:
                bad(number, op_col, raw_op, gettext("该单位不在名录中，不能移出"))
            elif actor.role not in BUREAU_ROLES and unit.pk in reported:
                bad(number, op_col, raw_op, gettext("该单位已填报本年度排放量申报，须由生态环境局移出名录"))
            if not reason:
                bad(number, reason_col, reason, gettext("移出名录须填写理由"))
        elif entry is None or entry.listed:
            bad(number, op_col, raw_op, gettext("该单位不是已移出的名录单位，不能恢复"))
        if op != ListAction.REMOVE and late and not reason:
            bad(number, reason_col, reason, gettext("名录确定截止日后的每项变更都须填写理由"))
        if len(reason) > REASON_MAX:
            bad(number, reason_col, reason, gettext("理由不超过 {n} 字").format(n=REASON_MAX))
        if len(problems) == before:
            plans.append((op, unit, entry, basis, reason, late))
    if problems:
        raise ValidationFailed(
            gettext("导入被拒绝：{rows} 行共 {n} 处错误，未写入任何数据").format(
                rows=len({p["row"] for p in problems}), n=len(problems)
            ),
            clause="TOT-1",
            errors=problems,
        )
    result = ListImportResult()
    for op, unit, entry, basis, reason, late in plans:
        if op == ListAction.ADD:
            result.entries.append(_add(actor, unit, year, basis, reason, late))
            result.added += 1
        elif op == ListAction.REMOVE:
            assert entry is not None
            result.entries.append(_remove(actor, _locked(entry), reason, late))
            result.removed += 1
        else:
            assert entry is not None
            result.entries.append(_restore(actor, _locked(entry), reason, late))
            result.restored += 1
    return result


# --- deadlines -----------------------------------------------------------------------------------
def current_due(
    kind: str, year: int, *, zone: Zone | None = None, enterprise: Enterprise | None = None
) -> dt.date:
    """The due date an extension for ``enterprise`` or ``zone`` would move."""
    if kind == DeadlineKind.LIST:
        return deadlines.list_due(year, zone)
    if enterprise is not None:
        return deadlines.report_due(enterprise, year)
    return deadlines.zone_report_due(year, zone)


@transaction.atomic
def deadline_extend(
    *,
    actor: Principal,
    kind: str,
    year: int,
    due_on: dt.date,
    reason: str,
    zone: Zone | None = None,
    enterprise: Enterprise | None = None,
) -> DeadlineExtension:
    """Extend the deadline of ``kind`` (the list, a report) of ``year`` for one unit or one zone
    to ``due_on``, with a reason (TOT-1, TOT-2). The new date must come after the date now in
    force for them and lie in the platform's range; an extension is not moved to a working day."""
    require(actor, "emissions.extend_deadline")
    dates.check_scope_year(year)
    reason = _text(reason)
    if kind not in DeadlineKind.values:
        raise ValidationFailed(gettext("请选择延期事项"), field="kind")
    if (zone is None) == (enterprise is None):
        raise ValidationFailed(gettext("请选择一家排污单位或一个功能区（二者选一）"), field="zone")
    if kind == DeadlineKind.LIST and enterprise is not None:
        raise ValidationFailed(gettext("名录确定截止日按功能区延期"), field="enterprise", clause="TOT-1")
    if not reason:
        raise ValidationFailed(gettext("延期须填写理由"), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(gettext("理由不超过 {n} 字").format(n=REASON_MAX), field="reason")
    dates.PLATFORM.check(due_on, label=gettext("延期至"), field="due_on")
    clause = "TOT-1" if kind == DeadlineKind.LIST else "TOT-2"
    current = current_due(kind, year, zone=zone, enterprise=enterprise)
    if due_on <= current:
        raise ValidationFailed(
            gettext("延期后的日期须晚于现行截止日 {day}").format(day=current.isoformat()),
            field="due_on",
            clause=clause,
        )
    extension = DeadlineExtension.objects.create(
        kind=kind,
        year=year,
        zone=zone if enterprise is None else None,
        enterprise=enterprise,
        due_on=due_on,
        reason=reason,
        granted_by=actor.user,
    )
    record(
        actor=actor,
        action="emissions.deadline_extend",
        obj=extension,
        before={"due_on": current},
        after={
            "kind": kind,
            "year": year,
            "zone": zone.code if zone is not None else None,
            "enterprise": enterprise.uscc if enterprise is not None else None,
            "due_on": due_on,
            "reason": reason,
        },
    )
    return extension


# --- reminders -----------------------------------------------------------------------------------
MESSAGE_MAX = Reminder._meta.get_field("message").max_length or 300


def submitted_units(year: int) -> QuerySet[EmissionReport]:
    """The reports of ``year`` that have been submitted at least once (the unit has reported)."""
    return EmissionReport.objects.filter(year=year, submitted_at__isnull=False)


@transaction.atomic
def reminders_send(
    *, actor: Principal, year: int, entries: Iterable[ListEntry], message: str
) -> list[Reminder]:
    """Remind the units of ``entries`` (listed for ``year``, in ``actor``'s scope, not yet reported)
    to report, with ``message`` from ``actor`` (TOT-2)."""
    require(actor, "emissions.remind")
    dates.check_scope_year(year)
    message = _text(message)
    chosen = list(entries)
    if not chosen:
        raise ValidationFailed(gettext("请至少选择一家排污单位"), field="entries")
    if not message:
        raise ValidationFailed(gettext("请填写提醒内容"), field="message")
    if len(message) > MESSAGE_MAX:
        raise ValidationFailed(gettext("提醒内容不超过 {n} 字").format(n=MESSAGE_MAX), field="message")
    for entry in chosen:
        if not zone_allowed(actor, entry.zone_id):
            raise Forbidden(gettext("只能提醒本功能区的排污单位"))
        if entry.year != year or not entry.listed:
            raise ValidationFailed(
                gettext("{unit} 不在 {year} 年度名录中").format(unit=entry.enterprise, year=year),
                field="entries",
                clause="TOT-1",
            )
    done = set(submitted_units(year).filter(entry__in=chosen).values_list("enterprise__name", flat=True))
    if done:
        raise ValidationFailed(
            gettext("已报送的单位无须提醒：{names}").format(names="、".join(sorted(done))),
            field="entries",
            clause="TOT-2",
        )
    dues = deadlines.ReportDues(year)
    today = timezone.localdate()
    reminders = Reminder.objects.bulk_create(
        Reminder(
            year=year,
            enterprise_id=entry.enterprise_id,
            zone_id=entry.zone_id,
            kind=ReminderKind.MANUAL,
            message=message,
            due_on=dues.of(entry.enterprise_id, entry.zone).on,
            sent_by=actor.user,
            sent_on=today,
        )
        for entry in chosen
    )
    for reminder in reminders:
        _reminder_sent(reminder, actor=actor)
    record(
        actor=actor,
        action="emissions.remind",
        object_type="emissions.reminder",
        object_repr=f"{year} 年度催报",
        after={"year": year, "units": [e.enterprise_id for e in chosen], "message": message},
    )
    return reminders


def _reminder_sent(reminder: Reminder, *, actor: Principal | None = None) -> None:
    """Tell the outbox a reminder was sent (``emissions.reminder.sent``), in its transaction: the
    notifications reach the unit's staff from it. The payload names the unit, its zone, the year,
    the kind, the deadline and, for a person's reminder, the text as typed."""
    emit(
        "emissions.reminder.sent",
        obj=reminder,
        actor=actor,
        payload={
            "enterprise_id": reminder.enterprise_id,
            "zone_id": reminder.zone_id,
            "year": reminder.year,
            "kind": reminder.kind,
            "due_on": reminder.due_on.isoformat() if reminder.due_on else None,
            "message": reminder.message if reminder.kind == ReminderKind.MANUAL else "",
        },
    )


def platform_message(kind: str, due_on: dt.date | None, year: int) -> str:
    """The text of a platform reminder, in the language active now (Chinese when it is stored)."""
    day = due_on.isoformat() if due_on else ""
    if kind == ReminderKind.OVERDUE:
        return gettext("{year} 年度排放量申报已于 {day} 截止，贵单位尚未报送，请尽快报送（TOT-2）").format(
            year=year, day=day
        )
    return gettext("{year} 年度排放量申报将于 {day} 截止，贵单位尚未报送，请按时报送（TOT-2）").format(
        year=year, day=day
    )


def reminder_text(reminder: Reminder) -> str:
    """A reminder as its reader reads it: a person's text as typed, the platform's in the page's
    language."""
    if reminder.kind == ReminderKind.MANUAL:
        return reminder.message
    return platform_message(reminder.kind, reminder.due_on, reminder.year)


@transaction.atomic
def reminders_daily(*, today: dt.date | None = None, year: int | None = None) -> int:
    """The platform's daily reminders (TOT-2): each listed unit of ``year`` (by default the year
    before ``today``) that has not reported and whose report falls due within the rule's
    ``report_reminder_days`` or is overdue gets one reminder today; a second run the same day adds
    none (the constraint ``emissions_platform_reminder_once_a_day`` keeps a parallel run from it
    too). Returns how many were created."""
    from django.utils import translation

    today = today or timezone.localdate()
    year = year if year is not None else today.year - 1
    dates.check_scope_year(year)
    window = deadlines.reminder_days(year)
    dues = deadlines.ReportDues(year)
    reported = set(submitted_units(year).values_list("enterprise_id", flat=True))
    already = set(
        Reminder.objects.filter(year=year, sent_on=today)
        .exclude(kind=ReminderKind.MANUAL)
        .values_list("enterprise_id", flat=True)
    )
    new: list[Reminder] = []
    with translation.override(settings.LANGUAGE_CODE):  # stored in the source language
        for entry in ListEntry.objects.filter(year=year, listed=True).select_related("zone"):
            if entry.enterprise_id in reported or entry.enterprise_id in already:
                continue
            due = dues.of(entry.enterprise_id, entry.zone).on
            if today > due:
                kind = ReminderKind.OVERDUE
            elif (due - today).days <= window:
                kind = ReminderKind.DUE_SOON
            else:
                continue
            new.append(
                Reminder(
                    year=year,
                    enterprise_id=entry.enterprise_id,
                    zone_id=entry.zone_id,
                    kind=kind,
                    message=platform_message(kind, due, year),
                    due_on=due,
                    sent_on=today,
                )
            )
    # A parallel run that got there first: its rows stand, these are skipped (once a day).
    Reminder.objects.bulk_create(new, ignore_conflicts=True)
    fresh = list(
        Reminder.objects.filter(year=year, sent_on=today)
        .exclude(kind=ReminderKind.MANUAL)
        .filter(enterprise_id__in=[r.enterprise_id for r in new])
        .order_by("pk")
    )
    for reminder in fresh:  # the rows of this run (a parallel run's rows among them are told twice)
        _reminder_sent(reminder)
    created = Reminder.objects.filter(year=year, sent_on=today).exclude(
        kind=ReminderKind.MANUAL
    ).count() - len(already)
    if created:
        record(
            actor=None,
            action="emissions.reminders_daily",
            object_type="emissions.reminder",
            object_repr=f"{year} 年度催报 {today.isoformat()}",
            after={"year": year, "day": today, "created": created},
        )
    return created


@transaction.atomic
def reminders_mark_read(*, actor: Principal, year: int | None = None) -> int:
    """Mark the unread reminders of ``actor``'s unit (of ``year``, or all) read; how many."""
    require(actor, "emissions.report")
    if actor.enterprise_id is None:
        raise Forbidden(gettext("只有排污单位可以阅读本单位的提醒"))
    qs = Reminder.objects.filter(enterprise_id=actor.enterprise_id, read_at__isnull=True)
    if year is not None:
        qs = qs.filter(year=year)
    count = qs.update(read_at=timezone.now())
    if count:
        record(
            actor=actor,
            action="emissions.reminders_read",
            object_type="emissions.reminder",
            object_repr=f"{actor.enterprise_id}",
            after={"year": year, "read": count},
        )
    return count
