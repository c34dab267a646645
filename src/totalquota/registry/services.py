"""Writes on the registry: enterprises (one at a time or a whole spreadsheet) and rule parameters."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, zone_allowed
from totalquota.audit.services import record, snapshot
from totalquota.lib import dates, uscc
from totalquota.lib.errors import Forbidden, RuleViolation, ValidationFailed
from totalquota.registry.models import Enterprise, ManagementCategory, Pollutant, RuleParameter, Zone
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

    category = data.get("management_category") or ManagementCategory.SIMPLIFIED
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
    """A new unit from checked ``values``, with its audit event."""
    enterprise = Enterprise.objects.create(**values)
    record(actor=actor, action=action, obj=enterprise, after=snapshot(enterprise, ENTERPRISE_FIELDS))
    return enterprise


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
        record(actor=actor, action="enterprise.import_update", obj=instance, before=before, after=after)
        updated += 1
    return ImportResult(created, updated, unchanged)


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
