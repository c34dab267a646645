"""Writes on the registry: enterprises (one at a time or a whole spreadsheet) and their changes over
time (单位沿革), rule parameters, zones, permit limits (one at a time or a whole spreadsheet) and the
working-day calendar."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.permissions import Principal, may, zone_allowed
from totalquota.audit.services import record, snapshot
from totalquota.common.once import create_once
from totalquota.lib import dates, uscc, workdays
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.lib.units import MAX_GRAMS, QuantityError, parse_quantity
from totalquota.registry.models import (
    CalendarDay,
    ChangeKind,
    ChangeSource,
    Enterprise,
    ManagementCategory,
    Medium,
    PermitLimit,
    Pollutant,
    RuleParameter,
    UnitVersion,
    Zone,
)
from totalquota.registry.rules import RULE_KEYS, check_value

ENTERPRISE_FIELDS = [
    "name",
    "uscc",
    "permit_number",
    "industry_code",
    "industry_name",
    "zone",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
    "management_category",
    "is_active",
]
PERMIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}\d{3}[A-Z]$")
INDUSTRY_RE = re.compile(r"^[A-T]\d{2,4}$")
PHONE_RE = re.compile(r"^[0-9+\-() ]{5,32}$")

# Column headers of the bulk import template, in order, with the field each fills.
IMPORT_COLUMNS: list[tuple[str, str]] = [
    ("单位名称", "name"),
    ("统一社会信用代码", "uscc"),
    ("排污许可证编号", "permit_number"),
    ("行业代码", "industry_code"),
    ("行业类别", "industry_name"),
    ("功能区", "zone"),
    ("地址", "address"),
    ("联系人", "contact_name"),
    ("联系电话", "contact_phone"),
    ("电子邮箱", "contact_email"),
    ("管理类别", "management_category"),
]
FIELD_LABELS = {field: header for header, field in IMPORT_COLUMNS}  # the import's (Chinese) headers


def field_label(name: str) -> str:
    """The name of an enterprise field as a message shows it, in the page's language."""
    try:
        return str(getattr(Enterprise._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return FIELD_LABELS.get(name, name)


def default_category(permit_number: str) -> str:
    """The management category of a unit registered without one: 简化管理 with a permit number,
    登记管理 without."""
    return ManagementCategory.SIMPLIFIED if permit_number else ManagementCategory.REGISTRATION


def clean_enterprise(
    data: dict[str, Any], *, instance: Enterprise | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise ``data`` and check every field; returns ``(values, errors by field)``.

    Checks that need the database (duplicate code or permit number) are included; the caller
    decides whether a duplicate means "update" (imports) or "refuse" (the create form).
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def text(name: str, limit: int, required: bool = False) -> str:
        value = str(data.get(name) or "").strip()
        if required and not value:
            errors[name] = gettext("{v0}不能为空").format(v0=field_label(name))
        elif len(value) > limit:
            errors[name] = gettext("{v0}不能超过 {limit} 个字符").format(v0=field_label(name), limit=limit)
        return value

    values["name"] = text("name", 200, required=True)
    raw_code = str(data.get("uscc") or "")
    try:
        values["uscc"] = uscc.validate(raw_code)
    except uscc.USCCError as exc:
        errors["uscc"] = str(exc)
    values["permit_number"] = text("permit_number", 32).upper()
    values["industry_code"] = text("industry_code", 8).upper()
    values["industry_name"] = text("industry_name", 100)
    values["address"] = text("address", 300)
    values["contact_name"] = text("contact_name", 50)
    values["contact_phone"] = text("contact_phone", 32)
    values["contact_email"] = text("contact_email", 254)

    zone = data.get("zone")
    if isinstance(zone, Zone):
        values["zone"] = zone
    else:
        label = str(zone or "").strip()
        found = (
            Zone.objects.filter(is_active=True).filter(name=label).first()
            or Zone.objects.filter(is_active=True, code=label).first()
        )
        if found is None:
            errors["zone"] = (
                gettext("功能区“{label}”不存在").format(label=label) if label else gettext("功能区不能为空")
            )
        values["zone"] = found

    # The category left out follows what was given: a unit with a permit number holds a permit
    # (simplified management, the lighter of the two permit categories; 重点管理 is said
    # explicitly), one without is under registration management (登记管理 needs no permit).
    category = data.get("management_category") or default_category(values["permit_number"])
    by_label = {str(label): value for value, label in ManagementCategory.choices}
    category = by_label.get(str(category).strip(), str(category).strip())
    if category not in ManagementCategory.values:
        errors["management_category"] = gettext("管理类别应为：") + "、".join(by_label)
    values["management_category"] = category
    values["is_active"] = bool(data.get("is_active", True))

    if values["permit_number"] and not PERMIT_RE.match(values["permit_number"]):
        errors["permit_number"] = gettext(
            "排污许可证编号格式应为 18 位信用代码 + 3 位顺序码 + 1 位字母，共 22 位"
        )
    if (
        not values["permit_number"]
        and category != ManagementCategory.REGISTRATION
        and "management_category" not in errors
    ):
        errors["permit_number"] = gettext("重点管理和简化管理单位必须填写排污许可证编号")
    if values["industry_code"] and not INDUSTRY_RE.match(values["industry_code"]):
        errors["industry_code"] = gettext("行业代码应为国民经济行业分类代码，如 C3982")
    if values["contact_phone"] and not PHONE_RE.match(values["contact_phone"]):
        errors["contact_phone"] = gettext("联系电话只能包含数字、空格和 + - ( )")
    if values["contact_email"]:
        try:
            validate_email(values["contact_email"])
        except ValidationError:
            errors["contact_email"] = gettext("电子邮箱格式不正确")

    others = Enterprise.objects.exclude(pk=instance.pk) if instance is not None else Enterprise.objects.all()
    if "uscc" not in errors and instance is not None and others.filter(uscc=values["uscc"]).exists():
        errors["uscc"] = gettext("统一社会信用代码 {v0} 已属于另一家单位").format(v0=values["uscc"])
    if values["permit_number"] and "permit_number" not in errors:
        clash = others.filter(permit_number=values["permit_number"])
        if "uscc" in values:
            clash = clash.exclude(uscc=values["uscc"])
        if clash.exists():
            errors["permit_number"] = gettext("排污许可证编号 {v0} 已属于另一家单位").format(
                v0=values["permit_number"]
            )
    return values, errors


def _check_zone_scope(actor: Principal, zone: Zone | None, field_errors: dict[str, str]) -> None:
    if zone is not None and not zone_allowed(actor, zone.pk):
        field_errors["zone"] = gettext("您无权在功能区“{zone}”登记或修改排污单位").format(zone=zone)


@transaction.atomic
def enterprise_create(*, actor: Principal, **data: Any) -> Enterprise:
    """Register a discharging unit; refuses a code that is already registered."""
    values, errors = clean_enterprise(data)
    if "uscc" not in errors and Enterprise.objects.filter(uscc=values["uscc"]).exists():
        errors["uscc"] = gettext("统一社会信用代码 {v0} 已登记").format(v0=values["uscc"])
    _check_zone_scope(actor, values.get("zone"), errors)
    if errors:
        raise _field_errors(errors)
    return _register(actor, values, "enterprise.create")


def _register(actor: Principal, values: dict[str, Any], action: str) -> Enterprise:
    """A new unit from checked ``values``, with its first version and its audit event."""
    enterprise = Enterprise.objects.create(**values)
    _append_version(actor, enterprise, ChangeKind.REGISTER, dates.SCOPE_START)
    record(actor=actor, action=action, obj=enterprise, after=snapshot(enterprise, ENTERPRISE_FIELDS))
    return enterprise


def _edit_version(actor: Principal, enterprise: Enterprise, before: dict[str, Any]) -> None:
    """An edit of the registration that changed what a version records appends one, dated today."""
    after = snapshot(enterprise, VERSION_FIELDS)
    if after != {k: before[k] for k in after}:
        _first_version(enterprise, before)
        _append_version(actor, enterprise, ChangeKind.EDIT, timezone.localdate())


def _first_version(enterprise: Enterprise, values: dict[str, Any]) -> None:
    """A unit registered without a version (before versions were kept, or loaded as data) gets
    one from ``values`` (its registration before the change, a snapshot) before its first change,
    valid from the start of the rules' period like the migration's (SCOPE-1)."""
    if UnitVersion.objects.filter(enterprise=enterprise).exists():
        return
    UnitVersion.objects.create(
        enterprise=enterprise,
        kind=ChangeKind.REGISTER,
        effective_on=dates.SCOPE_START,
        name=values["name"],
        uscc=values["uscc"],
        zone_id=values["zone_id"],
        is_active=values["is_active"],
        source=ChangeSource.BACKFILL,
    )


@transaction.atomic
def enterprise_update(*, actor: Principal, enterprise: Enterprise, **data: Any) -> Enterprise:
    """Change a unit's registry entry; a zone officer may move it only within their own zone."""
    # Lock the row so that two officers editing the same unit do not overwrite each other's audit
    # "before" values.
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    before = snapshot(enterprise, ENTERPRISE_FIELDS)
    merged = {f: getattr(enterprise, f) for f in ENTERPRISE_FIELDS}
    merged.update(data)
    values, errors = clean_enterprise(merged, instance=enterprise)
    _check_zone_scope(actor, enterprise.zone, errors)
    _check_zone_scope(actor, values.get("zone"), errors)
    if errors:
        raise _field_errors(errors)
    for name, value in values.items():
        setattr(enterprise, name, value)
    enterprise.save()
    after = snapshot(enterprise, ENTERPRISE_FIELDS)
    if after != before:
        _edit_version(actor, enterprise, before)
        record(actor=actor, action="enterprise.update", obj=enterprise, before=before, after=after)
    return enterprise


def _field_errors(errors: dict[str, str]) -> ValidationFailed:
    first_field, first_message = next(iter(errors.items()))
    return ValidationFailed(
        first_message
        if len(errors) == 1
        else gettext("{v0} 项信息有误：{first_message}等").format(
            v0=len(errors), first_message=first_message
        ),
        field=first_field,
        errors=[{"field": f, "label": field_label(f), "message": m} for f, m in errors.items()],
    )


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


@transaction.atomic
def enterprise_import(*, actor: Principal, rows: list[dict[str, Any]]) -> ImportResult:
    """Create or update units from the rows of the import template, all or nothing.

    Rows are matched on the unified social credit code. Every row is checked first; if any row is
    wrong, nothing is written and :class:`ValidationFailed` carries one entry per problem
    (``row``, ``column``, ``value``, ``message``).
    """
    problems: list[dict[str, Any]] = []
    plans: list[tuple[Enterprise | None, dict[str, Any]]] = []
    seen_codes: dict[str, int] = {}
    seen_permits: dict[str, int] = {}
    datas = [{field: row.get(header) for header, field in IMPORT_COLUMNS} for row in rows]
    codes = [uscc.normalize(str(d.get("uscc") or "")) for d in datas]
    existing = {e.uscc: e for e in Enterprise.objects.select_related("zone").filter(uscc__in=codes)}
    for row, data in zip(rows, datas, strict=True):
        number = row.get("_row", 0)
        code = uscc.normalize(str(data.get("uscc") or ""))
        instance = existing.get(code)
        values, errors = clean_enterprise(data, instance=instance)
        _check_zone_scope(actor, values.get("zone"), errors)
        if instance is not None:
            _check_zone_scope(actor, instance.zone, errors)
        if "uscc" in values:
            if values["uscc"] in seen_codes:
                errors["uscc"] = gettext("与第 {v0} 行的统一社会信用代码重复").format(
                    v0=seen_codes[values["uscc"]]
                )
            seen_codes.setdefault(values["uscc"], number)
        if values.get("permit_number"):
            if values["permit_number"] in seen_permits:
                errors["permit_number"] = gettext("与第 {v0} 行的排污许可证编号重复").format(
                    v0=seen_permits[values["permit_number"]]
                )
            seen_permits.setdefault(values["permit_number"], number)
        for field, message in errors.items():
            problems.append(
                {
                    "row": number,
                    "column": FIELD_LABELS.get(field, field),
                    "value": str(data.get(field) or ""),
                    "message": message,
                }
            )
        plans.append((instance, values))
    if not rows:
        raise ValidationFailed(gettext("文件中没有数据行"))
    if problems:
        raise ValidationFailed(
            gettext("导入被拒绝：{v0} 行共 {v1} 处错误，未写入任何数据").format(
                v0=len({p["row"] for p in problems}), v1=len(problems)
            ),
            errors=problems,
        )
    created = updated = unchanged = 0
    for instance, values in plans:
        if instance is None:
            _register(actor, values, "enterprise.import_create")
            created += 1
            continue
        before = snapshot(instance, ENTERPRISE_FIELDS)
        values["is_active"] = instance.is_active
        for name, value in values.items():
            setattr(instance, name, value)
        after = snapshot(instance, ENTERPRISE_FIELDS)
        if after == before:
            unchanged += 1
            continue
        instance.save()
        _edit_version(actor, instance, before)
        record(actor=actor, action="enterprise.import_update", obj=instance, before=before, after=after)
        updated += 1
    return ImportResult(created, updated, unchanged)


# --- 单位沿革: a unit renamed, given a new credit code, moved, merged, split, closed or reopened --

VERSION_FIELDS = ["name", "uscc", "zone", "is_active"]
CHANGE_KINDS = (
    ChangeKind.RENAME,
    ChangeKind.RECODE,
    ChangeKind.MOVE,
    ChangeKind.MERGE,
    ChangeKind.SPLIT,
    ChangeKind.CLOSE,
    ChangeKind.REOPEN,
)
# What the permit system may change about a unit (its name and credit code on a permit).
PERMIT_EVENT_KINDS = (ChangeKind.RENAME, ChangeKind.RECODE)
CHANGE_LABELS = {
    "kind": _("变更类型"),
    "effective_on": _("生效日期"),
    "reason": _("依据或事由"),
    "name": _("单位名称"),
    "uscc": _("统一社会信用代码"),
    "zone": _("功能区"),
    "survivor": _("存续单位"),
    "new_unit": _("新设单位"),
}


def _append_version(
    actor: Principal | None,
    enterprise: Enterprise,
    kind: str,
    effective_on: dt.date,
    *,
    related: Enterprise | None = None,
    reason: str = "",
    source: str = ChangeSource.BUREAU,
    source_reference: str = "",
) -> UnitVersion:
    """Append the unit's current values as a version valid from ``effective_on``."""
    return UnitVersion.objects.create(
        enterprise=enterprise,
        kind=kind,
        effective_on=effective_on,
        name=enterprise.name,
        uscc=enterprise.uscc,
        zone_id=enterprise.zone_id,
        is_active=enterprise.is_active,
        related=related,
        reason=reason,
        source=source,
        source_reference=source_reference,
        recorded_by=actor.user if actor is not None else None,
    )


def last_version_day(enterprise: Enterprise) -> dt.date | None:
    """The date of the unit's latest version (``None`` for a unit without one)."""
    return (
        UnitVersion.objects.filter(enterprise=enterprise)
        .order_by("-effective_on")
        .values_list("effective_on", flat=True)
        .first()
    )


def _code_error(code: str, enterprise: Enterprise | None) -> tuple[str, str | None]:
    """The checked code and what is wrong with it (``None`` when it may be used)."""
    try:
        value = uscc.validate(code)
    except uscc.USCCError as exc:
        return uscc.normalize(code or ""), str(exc)
    if enterprise is not None and value == enterprise.uscc:
        return value, gettext("新的统一社会信用代码与现在的相同")
    holders = Enterprise.objects.filter(uscc=value)
    holder = (holders.exclude(pk=enterprise.pk) if enterprise is not None else holders).first()
    if holder is not None:
        return value, gettext("统一社会信用代码 {code} 已属于另一家单位（{name}）").format(
            code=value, name=holder.name
        )
    return value, None


def _day_error(day: Any, *units: Enterprise) -> str | None:
    if not isinstance(day, dt.date):
        return gettext("请填写生效日期")
    today = timezone.localdate()
    if not dates.SCOPE_START <= day <= today:
        return gettext("生效日期应在 {earliest} 至今天（{today}）之间（SCOPE-1）").format(
            earliest=dates.SCOPE_START.isoformat(), today=today.isoformat()
        )
    for unit in units:
        last = last_version_day(unit)
        if last is not None and day < last:
            return gettext("{name} 已有自 {day} 起的沿革记录，生效日期不能更早").format(
                name=unit.name, day=last.isoformat()
            )
    return None


@dataclass(frozen=True)
class NewUnit:
    """The unit a split creates: its own name and credit code; the rest defaults to the old unit's."""

    name: str
    uscc: str
    zone: Zone | None = None
    permit_number: str = ""


@transaction.atomic
def unit_change(
    *,
    actor: Principal,
    enterprise: Enterprise,
    kind: str,
    effective_on: dt.date,
    reason: str,
    name: str = "",
    uscc_code: str = "",
    zone: Zone | None = None,
    survivor: Enterprise | None = None,
    new_unit: NewUnit | None = None,
    source: str = ChangeSource.BUREAU,
    source_reference: str = "",
) -> UnitVersion:
    """Record a change of a unit from ``effective_on`` (单位沿革) and return its new version.

    ``rename`` takes ``name``; ``recode`` the new credit code ``uscc_code`` (GB 32100, used by no
    other unit); ``move`` the new ``zone`` (quota does not move with it: allocations stay in their
    accounts until the bureau posts a zone transfer); ``merge`` the ``survivor`` that absorbs the
    unit (the unit is closed and marked merged into it; its records stay its own and the survivor's
    page lists them); ``split`` the ``new_unit`` created from it (the old unit carries on);
    ``close`` and ``reopen`` take nothing else. The date is from 2021-01-01 (SCOPE-1) to today and
    not before the unit's latest version. Every check runs before the first write; a refusal
    changes nothing. The unit's row keeps the current values, the version the history.
    """
    by_permit = source == ChangeSource.PERMIT_EVENT and kind in PERMIT_EVENT_KINDS
    if not (may(actor, "registry.edit_enterprise") or (by_permit and may(actor, "registry.receive_permit"))):
        raise Forbidden(gettext("您的角色无权登记单位沿革"))
    if kind not in CHANGE_KINDS:
        raise _change_errors(
            {"kind": gettext("变更类型应为：") + "、".join(str(ChangeKind(k).label) for k in CHANGE_KINDS)}
        )
    # Lock order step 1 (the business rows): the unit and the other unit of a merge, by id, so that
    # two changes of the same unit cannot both pass the date and state checks, and a merge of A into
    # B never waits on one of B into A the other way round.
    others = [survivor.pk] if kind == ChangeKind.MERGE and survivor is not None else []
    locked = _lock_units([enterprise.pk, *others])
    enterprise = locked[enterprise.pk]
    survivor = locked.get(survivor.pk) if survivor is not None and others else survivor
    if not zone_allowed(actor, enterprise.zone_id):
        raise Forbidden(gettext("您无权登记功能区“{zone}”排污单位的沿革").format(zone=enterprise.zone))
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = gettext("请填写依据或事由（如市场监管部门的变更通知）")
    elif len(reason) > 500:
        errors["reason"] = gettext("依据或事由不能超过 500 个字")
    if kind == ChangeKind.REOPEN:
        if enterprise.is_active:
            errors["kind"] = gettext("{name} 在册，无需恢复").format(name=enterprise.name)
        elif enterprise.merged_into_id:
            errors["kind"] = gettext("{name} 已被吸收合并，不能恢复在册").format(name=enterprise.name)
    elif not enterprise.is_active:
        errors["kind"] = gettext("{name} 已注销，只能恢复在册").format(name=enterprise.name)
    day_units = [enterprise]
    values: dict[str, Any] = {}
    new_values: dict[str, Any] = {}
    if kind == ChangeKind.RENAME:
        name = (name or "").strip()
        if not name:
            errors["name"] = gettext("请填写新的单位名称")
        elif len(name) > 200:
            errors["name"] = gettext("单位名称不能超过 200 个字")
        elif name == enterprise.name:
            errors["name"] = gettext("新的单位名称与现在的相同")
        values["name"] = name
    elif kind == ChangeKind.RECODE:
        code, problem = _code_error(uscc_code, enterprise)
        if problem:
            errors["uscc"] = problem
        values["uscc"] = code
    elif kind == ChangeKind.MOVE:
        if zone is None or not Zone.objects.filter(pk=zone.pk, is_active=True).exists():
            errors["zone"] = gettext("请选择启用中的功能区")
        elif zone.pk == enterprise.zone_id:
            errors["zone"] = gettext("{name} 已在功能区“{zone}”").format(name=enterprise.name, zone=zone)
        elif not zone_allowed(actor, zone.pk):
            errors["zone"] = gettext("您无权将排污单位迁入功能区“{zone}”").format(zone=zone)
        values["zone"] = zone
    elif kind == ChangeKind.MERGE:
        if survivor is None:
            errors["survivor"] = gettext("请选择存续单位")
        elif survivor.pk == enterprise.pk:
            errors["survivor"] = gettext("存续单位不能是被合并的单位本身")
        elif not survivor.is_active:
            errors["survivor"] = gettext("存续单位 {name} 已注销").format(name=survivor.name)
        elif not zone_allowed(actor, survivor.zone_id):
            errors["survivor"] = gettext("您无权登记功能区“{zone}”排污单位的沿革").format(zone=survivor.zone)
        else:
            day_units.append(survivor)
        values.update(is_active=False, merged_into=survivor)
    elif kind == ChangeKind.SPLIT:
        if new_unit is None:
            errors["new_unit"] = gettext("请填写分立出的新单位")
        else:
            data = {f: getattr(enterprise, f) for f in ENTERPRISE_FIELDS}
            data.update(
                name=new_unit.name,
                uscc=new_unit.uscc,
                zone=new_unit.zone or enterprise.zone,
                permit_number=new_unit.permit_number,
                management_category=None,
                is_active=True,
            )
            new_values, new_errors = clean_enterprise(data)
            if "uscc" not in new_errors:
                new_values["uscc"], problem = _code_error(new_values["uscc"], None)
                if problem:
                    new_errors["uscc"] = problem
            _check_zone_scope(actor, new_values.get("zone"), new_errors)
            for field, message in new_errors.items():
                errors.setdefault(f"new_unit.{field}", message)
    elif kind == ChangeKind.CLOSE:
        values["is_active"] = False
    else:
        values["is_active"] = True
    problem = _day_error(effective_on, *day_units)
    if problem:
        errors["effective_on"] = problem
    if errors:
        raise _change_errors(errors)

    common = {"reason": reason, "source": source, "source_reference": source_reference}
    before = snapshot(enterprise, [*VERSION_FIELDS, "merged_into"])
    _first_version(enterprise, before)
    if survivor is not None and kind == ChangeKind.MERGE:
        _first_version(survivor, snapshot(survivor, VERSION_FIELDS))
    related: Enterprise | None = None
    if kind == ChangeKind.SPLIT:
        related = Enterprise.objects.create(**new_values)
        _append_version(actor, related, ChangeKind.SPLIT_OFF, effective_on, related=enterprise, **common)
        record(
            actor=actor,
            action="enterprise.split_off",
            obj=related,
            after=snapshot(related, ENTERPRISE_FIELDS),
        )
    elif kind == ChangeKind.MERGE:
        related = survivor
    for field, value in values.items():
        setattr(enterprise, field, value)
    if values:
        enterprise.save(update_fields=[*values, "updated_at"])
    version = _append_version(actor, enterprise, kind, effective_on, related=related, **common)
    record(
        actor=actor,
        action=f"enterprise.{kind}",
        obj=enterprise,
        before=before,
        after={
            **snapshot(enterprise, [*VERSION_FIELDS, "merged_into"]),
            "effective_on": effective_on.isoformat(),
        },
    )
    if kind == ChangeKind.MERGE:
        assert survivor is not None
        _append_version(actor, survivor, ChangeKind.ABSORB, effective_on, related=enterprise, **common)
        record(
            actor=actor,
            action="enterprise.absorb",
            obj=survivor,
            after={"absorbed": enterprise.pk, "effective_on": effective_on.isoformat()},
        )
    return version


def unit_follow_permit(
    *,
    actor: Principal,
    enterprise: Enterprise,
    name: str,
    uscc_code: str,
    valid_from: dt.date,
    reference: str,
    reason: str,
) -> list[UnitVersion]:
    """The unit as a permit from the permit system names it (PLAT-1): a new credit code on the same
    permit number is recorded as a ``recode``, another unit name as a ``rename``, each a version
    with the permit system as its source. It takes effect on the permit's ``valid_from``, but not
    before 2021 (SCOPE-1) or the unit's latest version and not after today. Nothing is written when
    the permit names the unit as registered; a refusal (a closed unit, a code of another unit)
    refuses the whole event."""
    changes: list[tuple[str, dict[str, Any]]] = []
    code = uscc.normalize(uscc_code or "")
    if code and code != enterprise.uscc:
        changes.append((ChangeKind.RECODE, {"uscc_code": code}))
    name = (name or "").strip()
    if name and name != enterprise.name:
        changes.append((ChangeKind.RENAME, {"name": name}))
    versions = []
    for kind, values in changes:
        day = max(min(valid_from, timezone.localdate()), last_version_day(enterprise) or dates.SCOPE_START)
        versions.append(
            unit_change(
                actor=actor,
                enterprise=enterprise,
                kind=kind,
                effective_on=max(day, dates.SCOPE_START),
                reason=reason,
                source=ChangeSource.PERMIT_EVENT,
                source_reference=reference,
                **values,
            )
        )
        enterprise = Enterprise.objects.get(pk=enterprise.pk)
    return versions


def _change_errors(errors: dict[str, str]) -> ValidationFailed:
    def label(field: str) -> str:
        head, _dot, rest = field.partition(".")
        if rest:
            return f"{CHANGE_LABELS[head]} · {field_label(rest)}"
        return str(CHANGE_LABELS.get(field, field))

    first_field, first_message = next(iter(errors.items()))
    return ValidationFailed(
        first_message
        if len(errors) == 1
        else gettext("{v0} 项信息有误：{first_message}等").format(
            v0=len(errors), first_message=first_message
        ),
        field=first_field,
        errors=[{"field": f, "label": label(f), "message": m} for f, m in errors.items()],
    )


RULE_FIELDS = ["key", "pollutant", "zone", "value", "effective_from", "effective_to", "clause_id", "source"]


@transaction.atomic
def rule_parameter_set(
    *,
    actor: Principal,
    key: str,
    value: Any,
    effective_from: dt.date,
    pollutant: Pollutant | None = None,
    zone: Zone | None = None,
    clause_id: str | None = None,
    source: str = "",
) -> RuleParameter:
    """Put a new value of a rule in force from ``effective_from``.

    The row in force for the same key, pollutant and zone is closed the day the new one starts; a
    row that would start before or on the current row's start is refused (history is not
    rewritten: decisions already taken keep the value they used).
    """
    if key not in RULE_KEYS:
        raise ValidationFailed(gettext("未知的规则参数：{key}").format(key=key), field="key")
    spec = RULE_KEYS[key]
    check_value(spec.kind, value)
    dates.RULE_DAY.check(effective_from, label=gettext("生效日期"), field="effective_from")
    if pollutant is not None and not spec.per_pollutant:
        raise ValidationFailed(
            gettext("参数“{spec_label}”不按污染物区分").format(spec_label=spec.label), field="pollutant"
        )
    if zone is not None and not spec.per_zone:
        raise ValidationFailed(
            gettext("参数“{spec_label}”不按功能区区分").format(spec_label=spec.label), field="zone"
        )
    if not zone_allowed(actor, None if zone is None else zone.pk):
        raise Forbidden(gettext("您无权修改该功能区的规则参数"))
    # Lock the rows of this key so two administrators cannot both close the same current row.
    current = list(
        RuleParameter.objects.select_for_update()
        .filter(key=key, pollutant=pollutant, zone=zone, effective_to__isnull=True)
        .order_by("-effective_from")
    )
    for row in current:
        if row.effective_from >= effective_from:
            raise ValidationFailed(
                gettext("已有自 {row_effective_from} 起生效的取值，新取值的生效日期必须晚于该日期").format(
                    row_effective_from=row.effective_from
                ),
                field="effective_from",
            )
    for row in current:
        before = snapshot(row, RULE_FIELDS)
        row.effective_to = effective_from
        row.save(update_fields=["effective_to"])
        record(actor=actor, action="rule.close", obj=row, before=before, after=snapshot(row, RULE_FIELDS))
    row = RuleParameter.objects.create(
        key=key,
        pollutant=pollutant,
        zone=zone,
        value=value,
        effective_from=effective_from,
        clause_id=clause_id or spec.clause_id,
        source=source,
    )
    record(actor=actor, action="rule.set", obj=row, after=snapshot(row, RULE_FIELDS))
    return row


ZONE_FIELDS = ["code", "name", "sort_order", "is_active"]


@transaction.atomic
def zone_save(
    *,
    actor: Principal,
    zone: Zone | None = None,
    code: str,
    name: str,
    sort_order: int = 0,
    is_active: bool = True,
) -> Zone:
    """Create a functional zone, or change one (the bureau admin keeps the park's zones)."""
    from totalquota.registry.models import Park

    code, name = (code or "").strip().upper(), (name or "").strip()
    if not re.fullmatch(r"[A-Z0-9_]{1,32}", code):
        raise ValidationFailed(gettext("功能区代码只能包含大写字母、数字和下划线"), field="code")
    if not name:
        raise ValidationFailed(gettext("请填写功能区名称"), field="name")
    others = Zone.objects.exclude(pk=zone.pk) if zone is not None else Zone.objects.all()
    if others.filter(code=code).exists():
        raise ValidationFailed(gettext("功能区代码 {code} 已被使用").format(code=code), field="code")
    if others.filter(name=name).exists():
        raise ValidationFailed(gettext("功能区名称“{name}”已被使用").format(name=name), field="name")
    if zone is None:
        park = Park.objects.order_by("pk").first()
        if park is None:
            raise ValidationFailed(gettext("尚未设置园区"))
        zone = Zone.objects.create(
            park=park, code=code, name=name, sort_order=sort_order, is_active=is_active
        )
        record(actor=actor, action="zone.create", obj=zone, after=snapshot(zone, ZONE_FIELDS))
        return zone
    # Lock the zone row while it changes (a deactivation and an edit must not interleave).
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    if not is_active and zone.is_active and zone.enterprises.filter(is_active=True).exists():
        raise RuleViolation(gettext("该功能区仍有在册排污单位，不能停用；请先调整这些单位的功能区"))
    before = snapshot(zone, ZONE_FIELDS)
    zone.code, zone.name, zone.sort_order, zone.is_active = code, name, sort_order, is_active
    zone.save()
    record(actor=actor, action="zone.update", obj=zone, before=before, after=snapshot(zone, ZONE_FIELDS))
    return zone


# --- 排污许可量: permit limits -------------------------------------------------------------------

PERMIT_LIMIT_FIELDS = [
    "enterprise",
    "pollutant",
    "permitted_grams",
    "sewer_grams",
    "valid_from",
    "valid_to",
    "permit_number",
    "source",
]
SEWER_MEDIA = (Medium.WATER, Medium.AIR_OR_WATER)  # pollutants that may go to a sewage plant

# Column headers of the permit-limit import, in order, with the field each fills. Quantities are
# written in the pollutant's unit (t/a, kg/a for heavy metals).
PERMIT_IMPORT_COLUMNS: list[tuple[str, str]] = [
    ("统一社会信用代码", "uscc"),
    ("污染物", "pollutant"),
    ("许可排放量（外排环境量）", "permitted_grams"),
    ("许可排放量（接管量）", "sewer_grams"),
    ("有效期自", "valid_from"),
    ("有效期至", "valid_to"),
    ("依据", "source"),
]
PERMIT_IMPORT_LABELS = {field: header for header, field in PERMIT_IMPORT_COLUMNS}


def _period_text(valid_from: dt.date, valid_to: dt.date | None) -> str:
    return f"{valid_from.isoformat()} 至 {valid_to.isoformat() if valid_to else gettext('长期')}"


def _overlaps(a_from: dt.date, a_to: dt.date | None, b_from: dt.date, b_to: dt.date | None) -> bool:
    """Whether two inclusive periods (an empty end: open) share a day."""
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


def _check_permit_limit(actor: Principal, values: dict[str, Any]) -> dict[str, str]:
    """Every check of one limit, except overlaps: errors by field (empty when fine)."""
    errors: dict[str, str] = {}
    enterprise: Enterprise | None = values.get("enterprise")
    pollutant: Pollutant | None = values.get("pollutant")
    if enterprise is not None:
        if not zone_allowed(actor, enterprise.zone_id):
            errors["enterprise"] = gettext("您无权录入功能区“{zone}”排污单位的许可量").format(
                zone=enterprise.zone
            )
        elif not enterprise.permit_number:
            errors["enterprise"] = gettext("{name} 未登记排污许可证编号，不能录入许可量").format(
                name=enterprise.name
            )
    for field in ("permitted_grams", "sewer_grams"):
        grams = values.get(field)
        if field == "sewer_grams" and grams is None:
            continue
        if isinstance(grams, bool) or not isinstance(grams, int) or not 0 <= grams <= MAX_GRAMS:
            errors[field] = gettext("许可排放量应为不小于零的数量")
    if (
        values.get("sewer_grams") is not None
        and pollutant is not None
        and pollutant.medium not in SEWER_MEDIA
    ):
        errors["sewer_grams"] = gettext("{pollutant}是大气污染物，没有接管量").format(
            pollutant=pollutant.name
        )
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    for field, label in (("valid_from", gettext("有效期自")), ("valid_to", gettext("有效期至"))):
        try:
            dates.PLATFORM.check(values.get(field), label=label, field=field)
        except ValidationFailed as exc:
            errors[field] = exc.message
    if valid_from is None and "valid_from" not in errors:
        errors["valid_from"] = gettext("请填写有效期起始日期")
    if (
        isinstance(valid_from, dt.date)
        and isinstance(valid_to, dt.date)
        and valid_to < valid_from
        and "valid_to" not in errors
    ):
        errors["valid_to"] = gettext("有效期截止日期不能早于起始日期")
    source = str(values.get("source") or "").strip()
    if not source:
        errors["source"] = gettext("请注明依据（如排污许可证编号及其核发日期）")
    elif len(source) > 300:
        errors["source"] = gettext("依据不能超过 300 个字")
    return errors


def _overlap_error(existing: PermitLimit) -> str:
    return gettext("与已录入的许可量有效期（{period}）重叠；请先调整该记录的有效期").format(
        period=_period_text(existing.valid_from, existing.valid_to)
    )


def _create_permit_limit(actor: Principal, values: dict[str, Any], action: str) -> PermitLimit:
    enterprise = values["enterprise"]
    row = PermitLimit.objects.create(
        enterprise=enterprise,
        pollutant=values["pollutant"],
        permitted_grams=values["permitted_grams"],
        sewer_grams=values.get("sewer_grams"),
        valid_from=values["valid_from"],
        valid_to=values.get("valid_to"),
        permit_number=enterprise.permit_number,
        source=str(values["source"]).strip(),
        recorded_by=actor.user,
    )
    record(actor=actor, action=action, obj=row, after=snapshot(row, PERMIT_LIMIT_FIELDS))
    return row


def _lock_units(ids: list[int]) -> dict[int, Enterprise]:
    # Lock order step 1 (the business rows): the units whose limits change, by id, so that two
    # entries of the same unit and pollutant cannot both pass the overlap check; imports lock all
    # their units the same way, in the same order, and never deadlock with one another.
    return {
        e.pk: e
        for e in Enterprise.objects.select_for_update()
        .select_related("zone")
        .filter(pk__in=ids)
        .order_by("pk")
    }


@transaction.atomic
def permit_limit_record(
    *,
    actor: Principal,
    enterprise: Enterprise,
    pollutant: Pollutant,
    permitted_grams: int,
    valid_from: dt.date,
    source: str,
    sewer_grams: int | None = None,
    valid_to: dt.date | None = None,
) -> PermitLimit:
    """Record a unit's permitted yearly quantity of a pollutant (排污许可量) for a period: 外排环境量,
    and 接管量 for water pollutants. The bureau's administrators and the officers of the unit's zone
    record it; a period overlapping another limit of the same unit and pollutant is refused."""
    if not may(actor, "registry.record_permit"):
        raise Forbidden(gettext("您的角色无权录入排污许可量"))
    if not zone_allowed(actor, enterprise.zone_id):
        raise Forbidden(gettext("您无权录入功能区“{zone}”排污单位的许可量").format(zone=enterprise.zone))
    enterprise = _lock_units([enterprise.pk])[enterprise.pk]
    values = {
        "enterprise": enterprise,
        "pollutant": pollutant,
        "permitted_grams": permitted_grams,
        "sewer_grams": sewer_grams,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "source": source,
    }
    errors = _check_permit_limit(actor, values)
    if not errors:
        for existing in PermitLimit.objects.filter(enterprise=enterprise, pollutant=pollutant):
            if _overlaps(valid_from, valid_to, existing.valid_from, existing.valid_to):
                errors["valid_from"] = _overlap_error(existing)
                break
    if errors:
        first_field, first_message = next(iter(errors.items()))
        raise ValidationFailed(
            first_message,
            field=first_field,
            errors=[{"field": f, "message": m} for f, m in errors.items()],
        )
    return _create_permit_limit(actor, values, "permit_limit.record")


@dataclass(frozen=True)
class PermitLine:
    """One pollutant of a permit as the permit system sends it: grams per year."""

    pollutant: Pollutant
    permitted_grams: int
    sewer_grams: int | None = None


@transaction.atomic
def permit_receive(
    *,
    actor: Principal,
    enterprise: Enterprise,
    permit_number: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    lines: list[PermitLine],
    source: str,
) -> list[PermitLimit]:
    """A permit issued or changed in the permit system (PLAT-1): the unit's permit number and, per
    pollutant named, its permitted quantity from ``valid_from``. A limit in force before that day
    ends the day before; a limit starting on or after it refuses the whole permit (a permit is not
    back-dated over a later one). Pollutants the permit does not name keep their limits. Every
    check runs before the first write; a refusal changes nothing."""
    if not may(actor, "registry.receive_permit"):
        raise Forbidden(gettext("您的角色无权接收排污许可证数据"))
    enterprise = _lock_units([enterprise.pk])[enterprise.pk]
    number = (permit_number or "").strip().upper()
    errors: dict[str, str] = {}
    if not PERMIT_RE.match(number):
        errors["permit_number"] = gettext(
            "排污许可证编号格式应为 18 位信用代码 + 3 位顺序码 + 1 位字母，共 22 位"
        )
    elif Enterprise.objects.filter(permit_number=number).exclude(pk=enterprise.pk).exists():
        errors["permit_number"] = gettext("排污许可证编号 {number} 已登记在其他排污单位").format(
            number=number
        )
    if not lines:
        errors["limits"] = gettext("请至少给出一项污染物的许可排放量")
    seen: set[int] = set()
    closing: list[PermitLimit] = []
    before_number = enterprise.permit_number
    enterprise.permit_number = number
    for index, line in enumerate(lines):
        values = {
            "enterprise": enterprise,
            "pollutant": line.pollutant,
            "permitted_grams": line.permitted_grams,
            "sewer_grams": line.sewer_grams,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "source": source,
        }
        for field, message in _check_permit_limit(actor, values).items():
            errors.setdefault(f"limits.{index}.{field}", message)
        if line.pollutant.pk in seen:
            errors.setdefault(
                f"limits.{index}.pollutant",
                gettext("污染物 {code} 重复").format(code=line.pollutant.code),
            )
        seen.add(line.pollutant.pk)
        for existing in PermitLimit.objects.filter(enterprise=enterprise, pollutant=line.pollutant):
            if not _overlaps(valid_from, valid_to, existing.valid_from, existing.valid_to) and (
                existing.valid_from < valid_from
            ):
                continue
            if existing.valid_from >= valid_from:
                errors.setdefault(
                    f"limits.{index}.valid_from",
                    gettext("{code} 已有自 {day} 起的许可排放量，不能以更早或相同的有效期替换").format(
                        code=line.pollutant.code, day=existing.valid_from.isoformat()
                    ),
                )
            else:
                closing.append(existing)
    if errors:
        enterprise.permit_number = before_number
        raise _field_errors(errors)
    if number != before_number:
        enterprise.save(update_fields=["permit_number", "updated_at"])
        record(
            actor=actor,
            action="enterprise.permit_receive",
            obj=enterprise,
            before={"permit_number": before_number},
            after={"permit_number": number},
        )
    for existing in closing:
        before = snapshot(existing, PERMIT_LIMIT_FIELDS)
        existing.valid_to = valid_from - dt.timedelta(days=1)
        existing.save(update_fields=["valid_to"])
        record(
            actor=actor,
            action="permit_limit.close",
            obj=existing,
            before=before,
            after=snapshot(existing, PERMIT_LIMIT_FIELDS),
        )
    return [
        _create_permit_limit(
            actor,
            {
                "enterprise": enterprise,
                "pollutant": line.pollutant,
                "permitted_grams": line.permitted_grams,
                "sewer_grams": line.sewer_grams,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "source": source,
            },
            "permit_limit.receive",
        )
        for line in lines
    ]


def _import_date(value: Any) -> dt.date | str | None:
    """A cell as a date: a date cell, or text written ``2024-01-01`` / ``2024/1/1``; blank is
    ``None``; anything else comes back as the text, for the error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        return str(value)


def _pollutant_by_label() -> dict[str, Pollutant]:
    by_label: dict[str, Pollutant] = {}
    for pollutant in Pollutant.objects.all():
        for label in (pollutant.code, pollutant.name, pollutant.name_en):
            if label:
                by_label[label.strip().upper()] = pollutant
    return by_label


@transaction.atomic
def permit_limit_import(*, actor: Principal, rows: list[dict[str, Any]]) -> int:
    """Record the permit limits of a spreadsheet (:data:`PERMIT_IMPORT_COLUMNS`), all or nothing;
    returns how many were recorded.

    Each row names the unit by its credit code and the pollutant by code or Chinese name, with the
    quantities in the pollutant's unit. Every row is checked first (against the limits recorded
    and against the file's other rows); if any is wrong nothing is written and
    :class:`ValidationFailed` lists each problem with its ``row``, ``column``, ``value`` and ``message``.
    """
    if not may(actor, "registry.record_permit"):
        raise Forbidden(gettext("您的角色无权录入排污许可量"))
    if not rows:
        raise ValidationFailed(gettext("文件中没有数据行"))
    codes = {uscc.normalize(str(row.get("统一社会信用代码") or "")) for row in rows}
    found = Enterprise.objects.filter(uscc__in=codes).values_list("pk", flat=True)
    units = {e.uscc: e for e in _lock_units(list(found)).values()}
    pollutants = _pollutant_by_label()
    problems: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    for row in rows:
        number = row.get("_row", 0)
        raw = {field: row.get(header) for header, field in PERMIT_IMPORT_COLUMNS}
        errors: dict[str, str] = {}
        enterprise = units.get(uscc.normalize(str(raw["uscc"] or "")))
        if enterprise is None:
            errors["uscc"] = gettext("统一社会信用代码“{code}”未登记").format(code=raw["uscc"] or "")
        pollutant = pollutants.get(str(raw["pollutant"] or "").strip().upper())
        if pollutant is None:
            errors["pollutant"] = gettext("污染物“{name}”不是总量管控因子").format(
                name=raw["pollutant"] or ""
            )
        values: dict[str, Any] = {"enterprise": enterprise, "pollutant": pollutant, "source": raw["source"]}
        for field in ("permitted_grams", "sewer_grams"):
            text = raw[field]
            if field == "sewer_grams" and (text is None or not str(text).strip()):
                values[field] = None
                continue
            if pollutant is None:
                continue
            try:
                values[field] = parse_quantity(text, pollutant.unit)
            except QuantityError as exc:
                errors[field] = exc.message
        for field in ("valid_from", "valid_to"):
            day = _import_date(raw[field])
            if isinstance(day, str):
                errors[field] = gettext("日期应写成 2024-01-01")
            else:
                values[field] = day
        for field, message in _check_permit_limit(actor, values).items():
            key = "uscc" if field == "enterprise" else field
            errors.setdefault(key, message)
        if not errors and enterprise is not None and pollutant is not None:
            for existing in PermitLimit.objects.filter(enterprise=enterprise, pollutant=pollutant):
                if _overlaps(
                    values["valid_from"], values["valid_to"], existing.valid_from, existing.valid_to
                ):
                    errors["valid_from"] = _overlap_error(existing)
                    break
            for other in plans:
                if (
                    other["enterprise"] == enterprise
                    and other["pollutant"] == pollutant
                    and _overlaps(
                        values["valid_from"], values["valid_to"], other["valid_from"], other["valid_to"]
                    )
                ):
                    errors["valid_from"] = gettext("与第 {row} 行同一单位同一污染物的有效期重叠").format(
                        row=other["_row"]
                    )
                    break
        for field, message in errors.items():
            problems.append(
                {
                    "row": number,
                    "column": PERMIT_IMPORT_LABELS.get(field, field),
                    "value": "" if raw.get(field) is None else str(raw.get(field)),
                    "message": message,
                }
            )
        plans.append({**values, "_row": number})
    if problems:
        raise ValidationFailed(
            gettext("导入被拒绝：{v0} 行共 {v1} 处错误，未写入任何数据").format(
                v0=len({p["row"] for p in problems}), v1=len(problems)
            ),
            errors=problems,
        )
    for values in plans:
        _create_permit_limit(actor, values, "permit_limit.import")
    return len(plans)


# --- 工作日历: the working-day calendar -----------------------------------------------------------

CALENDAR_FIELDS = ["date", "is_working_day", "name"]


@transaction.atomic
def calendar_day_set(*, actor: Principal, date: dt.date, is_working_day: bool, name: str) -> CalendarDay:
    """Add an exception to the working-day calendar: a holiday on a weekday or an adjusted working
    day on a weekend (what the State Council's notice says). A day that already is what it would
    be marked (a working Monday, a Saturday off) is refused; so is a second entry for a day."""
    if not may(actor, "registry.manage_calendar"):
        raise Forbidden(gettext("您的角色无权维护工作日历"))
    dates.PLATFORM.check(date, label=gettext("日期"), field="date")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(gettext("请填写名称（如国庆节、调休上班）"), field="name")
    if len(name) > 50:
        raise ValidationFailed(gettext("名称不能超过 50 个字"), field="name")
    if workdays.is_working_day(date, {}) == is_working_day:
        message = (
            gettext("{day} 是周一至周五，本来就是工作日，无需登记")
            if is_working_day
            else gettext("{day} 是周末，本来就不是工作日，无需登记")
        )
        raise ValidationFailed(message.format(day=date.isoformat()), field="is_working_day")
    duplicate = gettext("{day} 已在工作日历中").format(day=date.isoformat())
    if CalendarDay.objects.filter(date=date).exists():
        raise Conflict(duplicate)
    row = create_once(CalendarDay, duplicate, date=date, is_working_day=is_working_day, name=name)
    record(actor=actor, action="calendar.add", obj=row, after=snapshot(row, CALENDAR_FIELDS))
    return row


@transaction.atomic
def calendar_day_delete(*, actor: Principal, day: CalendarDay) -> None:
    """Remove an exception from the working-day calendar (the day is again what its weekday says)."""
    if not may(actor, "registry.manage_calendar"):
        raise Forbidden(gettext("您的角色无权维护工作日历"))
    # Lock the row so that two administrators removing it at once write one audit event.
    row = CalendarDay.objects.select_for_update().filter(pk=day.pk).first()
    if row is None:
        raise Conflict(gettext("该日期已不在工作日历中"))
    before, pk, label = snapshot(row, CALENDAR_FIELDS), row.pk, str(row)
    row.delete()
    record(
        actor=actor,
        action="calendar.delete",
        object_type="registry.calendarday",
        object_id=pk,
        object_repr=label,
        before=before,
    )
