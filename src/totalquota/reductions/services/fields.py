"""The project's fields: normalised and checked before anything is written (RED-1, RED-3)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from totalquota.accounts.permissions import Principal, zone_allowed
from totalquota.lib import dates
from totalquota.lib.errors import RuleViolation, ValidationFailed
from totalquota.lib.units import QuantityError, decimal_text
from totalquota.reductions.models import (
    SUBTYPES,
    OperatingStatus,
    ProjectType,
    ReductionProject,
    Subtype,
)
from totalquota.reductions.rules import previous_year_deadline
from totalquota.registry.models import Enterprise, Zone

PROJECT_FIELDS = [
    "name",
    "address",
    "builder",
    "contact_name",
    "contact_phone",
    "start_date",
    "completion_date",
    "acceptance_date",
    "investment_yuan",
    "project_type",
    "subtype",
    "operating_status",
    "eia_approval_number",
    "permit_change",
    "description",
    "zone",
    "enterprise",
    "year",
    "status",
    "suggestion_note",
]
FIELD_LABELS = {
    "name": gettext_lazy("项目名称"),
    "address": gettext_lazy("项目地址"),
    "builder": gettext_lazy("建设单位"),
    "contact_name": gettext_lazy("联系人"),
    "contact_phone": gettext_lazy("联系电话"),
    "start_date": gettext_lazy("开工时间"),
    "completion_date": gettext_lazy("竣工时间"),
    "acceptance_date": gettext_lazy("验收时间"),
    "investment": gettext_lazy("资金投入（万元）"),
    "investment_yuan": gettext_lazy("资金投入"),
    "project_type": gettext_lazy("减排工程类型"),
    "subtype": gettext_lazy("具体类型"),
    "operating_status": gettext_lazy("减排运行情况"),
    "eia_approval_number": gettext_lazy("环评批复文号"),
    "permit_change": gettext_lazy("排污许可证变更情况"),
    "description": gettext_lazy("项目概况"),
    "zone": gettext_lazy("功能区"),
    "enterprise": gettext_lazy("排污单位"),
    "suggestion_note": gettext_lazy("增补建议理由"),
}
TEXT_LIMITS = {
    "name": 200,
    "address": 300,
    "builder": 200,
    "contact_name": 50,
    "contact_phone": 32,
    "eia_approval_number": 100,
    "permit_change": 300,
    "description": 4000,
    "suggestion_note": 500,
}
PHONE_RE = re.compile(r"^[0-9+\-() ]{5,32}$")
YUAN_PER_WAN = 10_000


# --- helpers -----------------------------------------------------------------------------------
def _today() -> dt.date:
    return timezone.localdate()


def _field_errors(errors: dict[str, str], clause: str | None = None) -> ValidationFailed:
    first_field, first_message = next(iter(errors.items()))
    cls = RuleViolation if clause else ValidationFailed
    return cls(
        first_message
        if len(errors) == 1
        else gettext("{v0} 项信息有误：{first_message}等").format(
            v0=len(errors), first_message=first_message
        ),
        field=first_field,
        clause=clause,
        errors=[{"field": f, "label": str(FIELD_LABELS.get(f, f)), "message": m} for f, m in errors.items()],
    )


def _date(value: Any, label: Any, errors: dict[str, str], name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = gettext("{label}应为日期，格式如 2025-06-30").format(label=label)
        return None


# The plausible range of each project date (lib.dates), checked before anything is written.
PROJECT_DATE_RANGES = {
    "start_date": dates.PROJECT_START,
    "completion_date": dates.PROJECT_COMPLETION,
    "acceptance_date": dates.PROJECT_ACCEPTANCE,
}


def check_date_range(day: dt.date | None, name: str, errors: dict[str, str]) -> None:
    """Put a refusal into ``errors`` when the project date ``name`` is outside its range."""
    if day is None or name in errors:
        return
    message = PROJECT_DATE_RANGES[name].refusal(day, FIELD_LABELS[name])
    if message:
        errors[name] = message


def check_deadline_rule(completion: dt.date | None, errors: dict[str, str]) -> None:
    """The day a completion year closes is read from the rules to tell a late declaration (RED-3);
    look it up now, so a date without a rule in force is refused before the project is written."""
    if completion is None or "completion_date" in errors:
        return
    try:
        previous_year_deadline(completion.year)
    except RuleViolation as exc:
        errors["completion_date"] = gettext("竣工时间 {v0} 无法确定申报期限：{exc}").format(
            v0=completion.isoformat(), exc=exc
        )


def parse_investment(value: Any) -> int | None:
    """资金投入 in 万元 (up to four decimals, i.e. one yuan) as whole yuan; blank is ``None``.

    Read like every number the platform takes (lib.units.decimal_text): full-width digits are
    mapped, exponents, separators ("1,5" is not 15) and other scripts' digits refused."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationFailed(gettext("资金投入应为数字（万元）"), field="investment")
    try:
        text = decimal_text(value, what=gettext("资金投入（万元）"))
    except QuantityError as exc:
        raise ValidationFailed(
            gettext("资金投入：{exc_message}").format(exc_message=exc.message), field="investment"
        ) from None
    if text.startswith("-"):
        raise ValidationFailed(gettext("资金投入不能为负数"), field="investment")
    yuan = Decimal(text) * YUAN_PER_WAN
    if yuan != yuan.to_integral_value():
        raise ValidationFailed(gettext("资金投入精度过高：以万元计最多 4 位小数（1 元）"), field="investment")
    if yuan > 10**15:
        raise ValidationFailed(gettext("资金投入过大"), field="investment")
    return int(yuan)


def _choice(value: Any, choices: Any, label: str, name: str, errors: dict[str, str]) -> str:
    text = str(value or "").strip()
    by_label = {str(lbl): val for val, lbl in choices.choices}
    text = by_label.get(text, text)
    if text not in choices.values:
        errors[name] = gettext("{label}应为：").format(label=label) + "、".join(by_label)
    return text


def _resolve_zone(value: Any) -> Zone | None:
    if isinstance(value, Zone):
        return value
    label = str(value or "").strip()
    if not label:
        return None
    if label.isdigit():
        found = Zone.objects.filter(is_active=True, pk=int(label)).first()
        if found:
            return found
    return Zone.objects.filter(is_active=True).filter(Q(name=label) | Q(code=label)).first()


def _resolve_enterprise(value: Any) -> Enterprise | bool | None:
    """The enterprise named by ``value`` (instance, id, credit code or exact name); ``None`` when
    blank; ``False`` when given but not found."""
    if value in (None, ""):
        return None
    if isinstance(value, Enterprise):
        return value
    label = str(value).strip()
    if label.isdigit():
        found = Enterprise.objects.filter(pk=int(label)).first()
        if found:
            return found
    found = Enterprise.objects.filter(Q(uscc=label.upper()) | Q(name=label)).first()
    return found if found is not None else False


def clean_project(
    data: dict[str, Any], *, principal: Principal, instance: ReductionProject | None = None
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Normalise and check the project fields in ``data``: ``(values, errors, rule_errors)``.

    ``rule_errors`` are breaches of RED-3 (date order) reported with the clause.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    rule_errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in data:
            continue
        text = str(data.get(name) or "").strip()
        if len(text) > limit:
            errors[name] = gettext("{v0}不能超过 {limit} 个字符").format(v0=FIELD_LABELS[name], limit=limit)
        values[name] = text
    if "name" in values and not values["name"]:
        errors["name"] = gettext("项目名称不能为空")
    if values.get("contact_phone") and not PHONE_RE.match(values["contact_phone"]):
        errors["contact_phone"] = gettext("联系电话只能包含数字、空格和 + - ( )")
    for name in ("start_date", "completion_date", "acceptance_date"):
        if name in data:
            values[name] = _date(data[name], FIELD_LABELS[name], errors, name)
            check_date_range(values[name], name, errors)
    if "investment" in data:
        try:
            values["investment_yuan"] = parse_investment(data["investment"])
        except ValidationFailed as exc:
            errors["investment"] = exc.message
    elif "investment_yuan" in data:
        raw = data["investment_yuan"]
        if raw is not None and (type(raw) is not int or raw < 0):
            errors["investment"] = gettext("资金投入应为不小于零的整数（元）")
        values["investment_yuan"] = raw
    if "project_type" in data:
        values["project_type"] = _choice(
            data["project_type"], ProjectType, gettext("减排工程类型"), "project_type", errors
        )
    if "subtype" in data:
        values["subtype"] = _choice(data["subtype"], Subtype, gettext("具体类型"), "subtype", errors)
    if "operating_status" in data:
        if data["operating_status"] in (None, ""):
            values["operating_status"] = ""
        else:
            values["operating_status"] = _choice(
                data["operating_status"], OperatingStatus, gettext("减排运行情况"), "operating_status", errors
            )
    if "zone" in data:
        zone = _resolve_zone(data["zone"])
        if zone is None:
            errors["zone"] = (
                gettext("功能区“{v0}”不存在").format(v0=data["zone"])
                if data["zone"]
                else gettext("功能区不能为空")
            )
        values["zone"] = zone
    if "enterprise" in data:
        enterprise = _resolve_enterprise(data["enterprise"])
        if enterprise is False:
            errors["enterprise"] = gettext("排污单位“{v0}”未登记").format(v0=data["enterprise"])
            enterprise = None
        values["enterprise"] = enterprise

    # The merged view, to check relations between fields whatever subset was given.
    def current(name: str) -> Any:
        if name in values:
            return values[name]
        return getattr(instance, name) if instance is not None else None

    project_type, subtype = current("project_type"), current("subtype")
    if (
        project_type
        and subtype
        and "project_type" not in errors
        and "subtype" not in errors
        and subtype not in SUBTYPES.get(project_type, ())
    ):
        labels = "、".join(str(Subtype(s).label) for s in SUBTYPES[project_type])
        rule_errors["subtype"] = gettext("“{v0}”的具体类型应为：{labels}").format(
            v0=ProjectType(project_type).label, labels=labels
        )
    start, completion, acceptance = (
        current("start_date"),
        current("completion_date"),
        current("acceptance_date"),
    )
    if start and completion and completion < start:
        rule_errors["completion_date"] = gettext(
            "竣工时间（{completion}）不能早于开工时间（{start}）"
        ).format(completion=completion, start=start)
    if completion and acceptance and acceptance < completion:
        rule_errors["acceptance_date"] = gettext(
            "验收时间（{acceptance}）不能早于竣工时间（{completion}）"
        ).format(acceptance=acceptance, completion=completion)
    if "completion_date" in values:
        check_deadline_rule(completion, errors)
    zone, enterprise = current("zone"), current("enterprise")
    if zone is not None and enterprise is not None and enterprise.zone_id != zone.pk:
        errors["enterprise"] = gettext("排污单位“{enterprise}”不在功能区“{zone}”").format(
            enterprise=enterprise, zone=zone
        )
    # Scope: who may put a project where.
    if principal.enterprise_id is not None:
        if enterprise is None or enterprise.pk != principal.enterprise_id:
            errors["enterprise"] = gettext("企业只能填报本单位的减排项目")
    elif zone is not None and "zone" not in errors and not zone_allowed(principal, zone.pk):
        errors["zone"] = gettext("您无权在功能区“{zone}”填报减排项目").format(zone=zone)
    if completion is not None:
        values["year"] = completion.year
    return values, errors, rule_errors


def _raise_if(errors: dict[str, str], rule_errors: dict[str, str]) -> None:
    if errors:
        merged = {**errors, **{k: v for k, v in rule_errors.items() if k not in errors}}
        raise _field_errors(merged)
    if rule_errors:
        raise _field_errors(rule_errors, clause="RED-3")
