"""Writes on the reduction library: declaration, accounting, evidence, review, usage, rounds.

Every function here is the one way to make its change: it checks scope and state, refuses bad
input with a Chinese message citing the clause (nothing written), writes, leaves a transition row
for every status change and records its audit event last, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from totalquota.accounts.permissions import Principal, zone_allowed
from totalquota.audit.services import record, snapshot
from totalquota.common import codes
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.lib.units import QuantityError, decimal_text, format_quantity, parse_quantity
from totalquota.reductions import accounting
from totalquota.reductions.files import UnsupportedFile, sniff
from totalquota.reductions.models import (
    EDITABLE,
    EXCLUDING_KINDS,
    SUBTYPES,
    AccountingFactor,
    DeclarationRound,
    Evidence,
    EvidenceKind,
    FactorKind,
    LineUsage,
    OperatingStatus,
    Opinion,
    OpinionConclusion,
    Origin,
    ProjectStatus,
    ProjectType,
    ReductionLine,
    ReductionProject,
    Subtype,
    UsageKind,
    evidence_path,
)
from totalquota.reductions.rules import previous_year_deadline
from totalquota.reductions.selectors import round_covering
from totalquota.reductions.workflow import PROJECT_ACTIONS, in_zone
from totalquota.registry.models import Enterprise, Pollutant, Zone
from totalquota.workflow.kernel import create_transition, perform

S = ProjectStatus

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
    "name": "项目名称",
    "address": "项目地址",
    "builder": "建设单位",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "start_date": "开工时间",
    "completion_date": "竣工时间",
    "acceptance_date": "验收时间",
    "investment": "资金投入（万元）",
    "investment_yuan": "资金投入",
    "project_type": "减排工程类型",
    "subtype": "具体类型",
    "operating_status": "减排运行情况",
    "eia_approval_number": "环评批复文号",
    "permit_change": "排污许可证变更情况",
    "description": "项目概况",
    "zone": "功能区",
    "enterprise": "排污单位",
    "suggestion_note": "增补建议理由",
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
        first_message if len(errors) == 1 else f"{len(errors)} 项信息有误：{first_message}等",
        field=first_field,
        clause=clause,
        errors=[{"field": f, "label": FIELD_LABELS.get(f, f), "message": m} for f, m in errors.items()],
    )


def _date(value: Any, label: str, errors: dict[str, str], name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = f"{label}应为日期，格式如 2025-06-30"
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
    """The declaration deadline of a completion date is read from the rules whenever the project
    is shown (RED-3); look it up now, so a date without a rule in force is refused before the
    project is written rather than breaking its page afterwards."""
    if completion is None or "completion_date" in errors or round_covering(completion) is not None:
        return
    try:
        previous_year_deadline(completion.year)
    except RuleViolation as exc:
        errors["completion_date"] = f"竣工时间 {completion.isoformat()} 无法确定申报期限：{exc}"


def parse_investment(value: Any) -> int | None:
    """资金投入 in 万元 (up to four decimals, i.e. one yuan) as whole yuan; blank is ``None``.

    Read like every number the platform takes (lib.units.decimal_text): full-width digits are
    mapped, exponents, separators ("1,5" is not 15) and other scripts' digits refused."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationFailed("资金投入应为数字（万元）", field="investment")
    try:
        text = decimal_text(value, what="资金投入（万元）")
    except QuantityError as exc:
        raise ValidationFailed(f"资金投入：{exc.message}", field="investment") from None
    if text.startswith("-"):
        raise ValidationFailed("资金投入不能为负数", field="investment")
    yuan = Decimal(text) * YUAN_PER_WAN
    if yuan != yuan.to_integral_value():
        raise ValidationFailed("资金投入精度过高：以万元计最多 4 位小数（1 元）", field="investment")
    if yuan > 10**15:
        raise ValidationFailed("资金投入过大", field="investment")
    return int(yuan)


def _choice(value: Any, choices: Any, label: str, name: str, errors: dict[str, str]) -> str:
    text = str(value or "").strip()
    by_label = {str(lbl): val for val, lbl in choices.choices}
    text = by_label.get(text, text)
    if text not in choices.values:
        errors[name] = f"{label}应为：" + "、".join(by_label)
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
            errors[name] = f"{FIELD_LABELS[name]}不能超过 {limit} 个字符"
        values[name] = text
    if "name" in values and not values["name"]:
        errors["name"] = "项目名称不能为空"
    if values.get("contact_phone") and not PHONE_RE.match(values["contact_phone"]):
        errors["contact_phone"] = "联系电话只能包含数字、空格和 + - ( )"
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
            errors["investment"] = "资金投入应为不小于零的整数（元）"
        values["investment_yuan"] = raw
    if "project_type" in data:
        values["project_type"] = _choice(
            data["project_type"], ProjectType, "减排工程类型", "project_type", errors
        )
    if "subtype" in data:
        values["subtype"] = _choice(data["subtype"], Subtype, "具体类型", "subtype", errors)
    if "operating_status" in data:
        if data["operating_status"] in (None, ""):
            values["operating_status"] = ""
        else:
            values["operating_status"] = _choice(
                data["operating_status"], OperatingStatus, "减排运行情况", "operating_status", errors
            )
    if "zone" in data:
        zone = _resolve_zone(data["zone"])
        if zone is None:
            errors["zone"] = f"功能区“{data['zone']}”不存在" if data["zone"] else "功能区不能为空"
        values["zone"] = zone
    if "enterprise" in data:
        enterprise = _resolve_enterprise(data["enterprise"])
        if enterprise is False:
            errors["enterprise"] = f"排污单位“{data['enterprise']}”未登记"
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
        rule_errors["subtype"] = f"“{ProjectType(project_type).label}”的具体类型应为：{labels}"
    start, completion, acceptance = (
        current("start_date"),
        current("completion_date"),
        current("acceptance_date"),
    )
    if start and completion and completion < start:
        rule_errors["completion_date"] = f"竣工时间（{completion}）不能早于开工时间（{start}）"
    if completion and acceptance and acceptance < completion:
        rule_errors["acceptance_date"] = f"验收时间（{acceptance}）不能早于竣工时间（{completion}）"
    if "completion_date" in values:
        check_deadline_rule(completion, errors)
    zone, enterprise = current("zone"), current("enterprise")
    if zone is not None and enterprise is not None and enterprise.zone_id != zone.pk:
        errors["enterprise"] = f"排污单位“{enterprise}”不在功能区“{zone}”"
    # Scope: who may put a project where.
    if principal.enterprise_id is not None:
        if enterprise is None or enterprise.pk != principal.enterprise_id:
            errors["enterprise"] = "企业只能填报本单位的减排项目"
    elif zone is not None and "zone" not in errors and not zone_allowed(principal, zone.pk):
        errors["zone"] = f"您无权在功能区“{zone}”填报减排项目"
    if completion is not None:
        values["year"] = completion.year
    return values, errors, rule_errors


def _raise_if(errors: dict[str, str], rule_errors: dict[str, str]) -> None:
    if errors:
        merged = {**errors, **{k: v for k, v in rule_errors.items() if k not in errors}}
        raise _field_errors(merged)
    if rule_errors:
        raise _field_errors(rule_errors, clause="RED-3")


def _lock(project: ReductionProject) -> ReductionProject:
    # Lock the project row: two people acting on one project at once (an edit racing a submit, two
    # reviewers deciding) must each see the other's status change, not overwrite it.
    return ReductionProject.objects.select_for_update().get(pk=project.pk)


def _may_prepare(principal: Principal, project: ReductionProject) -> None:
    if principal.enterprise_id is not None:
        if project.enterprise_id != principal.enterprise_id:
            raise Forbidden("企业只能修改本单位的减排项目")
        if project.status == S.ZONE_PENDING:
            raise Conflict("项目已提交功能区，如需修改请联系功能区退回")
    elif not zone_allowed(principal, project.zone_id):
        raise Forbidden("您无权修改该功能区的减排项目")


def _require_editable(project: ReductionProject) -> None:
    if project.status not in EDITABLE:
        raise Conflict(f"项目当前状态为“{project.get_status_display()}”，不能修改")


def _reopen_if_returned(project: ReductionProject, principal: Principal) -> None:
    """Editing a project the bureau returned puts it back to draft (RED-4: revise, then submit)."""
    if project.status == S.RETURNED:
        create_transition(
            PROJECT_ACTIONS,
            project,
            to=S.DRAFT,
            action="revise",
            principal=principal,
            reason="根据退回意见修改",
        )
        project.save(update_fields=["status", "updated_at"])


def _touch(project: ReductionProject, principal: Principal) -> None:
    project.preparers.add(principal.user)
    project.save(update_fields=["updated_at"])


# --- projects ----------------------------------------------------------------------------------
def _new_code() -> dict[str, Any]:
    """The id and code (``JP2026-00017``) of a new project, from the row's own number (common.codes)."""
    number = codes.reserve_id(ReductionProject)
    return {"id": number, "code": codes.record_code(f"JP{_today().year}-", number, width=5)}


@transaction.atomic
def project_create(*, actor: Principal, **data: Any) -> ReductionProject:
    """Start a project as a draft: a zone officer for the zone, enterprise staff for their unit."""
    if actor.enterprise_id is not None:
        unit = Enterprise.objects.select_related("zone").get(pk=actor.enterprise_id)
        data.setdefault("enterprise", unit)
        data.setdefault("zone", unit.zone)
        origin = Origin.ENTERPRISE
    else:
        origin = data.pop("origin", Origin.ZONE)
        data.setdefault("zone", actor.zone_id)
    for required in ("name", "project_type", "subtype", "zone"):
        data.setdefault(required, "")
    values, errors, rule_errors = clean_project(data, principal=actor)
    _raise_if(errors, rule_errors)
    project = ReductionProject.objects.create(
        **values, **_new_code(), status=S.DRAFT, origin=origin, created_by=actor.user
    )
    project.preparers.add(actor.user)
    create_transition(PROJECT_ACTIONS, project, to=S.DRAFT, action="create", principal=actor)
    record(actor=actor, action="reduction.create", obj=project, after=snapshot(project, PROJECT_FIELDS))
    return project


@transaction.atomic
def project_update(*, actor: Principal, project: ReductionProject, **data: Any) -> ReductionProject:
    """Change a project's information while it is being prepared (draft, at the zone, returned)."""
    project = _lock(project)
    _may_prepare(actor, project)
    _require_editable(project)
    before = snapshot(project, PROJECT_FIELDS)
    data.pop("status", None)
    values, errors, rule_errors = clean_project(data, principal=actor, instance=project)
    _raise_if(errors, rule_errors)
    _reopen_if_returned(project, actor)
    for name, value in values.items():
        setattr(project, name, value)
    project.save()
    project.preparers.add(actor.user)
    after = snapshot(project, PROJECT_FIELDS)
    if after != before:
        record(actor=actor, action="reduction.update", obj=project, before=before, after=after)
    return project


@transaction.atomic
def project_suggest(*, actor: Principal, **data: Any) -> ReductionProject:
    """A candidate project suggested by the bureau or a partner department (RED-3 增补建议); the
    zone officer adopts it as a draft or declines it with a reason."""
    for required in ("name", "project_type", "subtype", "zone", "suggestion_note"):
        data.setdefault(required, "")
    values, errors, rule_errors = clean_project(data, principal=actor)
    if not values.get("suggestion_note"):
        errors["suggestion_note"] = "请填写增补建议理由（如年度重点项目、专项排查、许可变更、资金补助信息）"
    _raise_if(errors, rule_errors)
    project = ReductionProject.objects.create(
        **values, **_new_code(), status=S.SUGGESTED, origin=Origin.SUGGESTION, created_by=actor.user
    )
    project.preparers.add(actor.user)
    create_transition(
        PROJECT_ACTIONS,
        project,
        to=S.SUGGESTED,
        action="suggest",
        principal=actor,
        reason=values["suggestion_note"],
        first=True,
    )
    record(actor=actor, action="reduction.suggest", obj=project, after=snapshot(project, PROJECT_FIELDS))
    return project


def _expect(project: ReductionProject, *states: str, doing: str) -> None:
    if project.status not in states:
        raise Conflict(f"项目当前状态为“{project.get_status_display()}”，不能{doing}")


def project_adopt(*, actor: Principal, project: ReductionProject, reason: str = "") -> ReductionProject:
    """The zone officer takes a suggestion into the zone's list as a draft."""
    return perform(PROJECT_ACTIONS, "adopt", principal=actor, obj=project, reason=reason)


def project_decline(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """The zone officer declines a suggestion; the reason is required and kept (RED-3)."""
    return perform(PROJECT_ACTIONS, "decline", principal=actor, obj=project, reason=reason)


def project_handover(*, actor: Principal, project: ReductionProject, note: str = "") -> ReductionProject:
    """Enterprise staff hand their prepared project to the zone, which checks and submits it."""
    return perform(PROJECT_ACTIONS, "handover", principal=actor, obj=project, reason=note)


def project_send_back(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """The zone officer sends an enterprise's handed-over project back to it with comments."""
    return perform(PROJECT_ACTIONS, "send_back", principal=actor, obj=project, reason=reason)


def project_submit(*, actor: Principal, project: ReductionProject, note: str = "") -> ReductionProject:
    """The zone officer submits a complete project, with its evidence, to the bureau (RED-3)."""
    return perform(PROJECT_ACTIONS, "submit", principal=actor, obj=project, reason=note)


@transaction.atomic
def opinion_add(*, actor: Principal, project: ReductionProject, conclusion: str, text: str) -> Opinion:
    """A third party's technical opinion. On a submitted project a pre-check conclusion marks it
    pre-checked; guidance may be given at any stage before the decision. It never decides."""
    project = _lock(project)
    in_zone(actor, project, "出具意见于")
    _expect(project, S.DRAFT, S.ZONE_PENDING, S.RETURNED, S.SUBMITTED, S.PRECHECKED, doing="出具技术意见")
    if conclusion not in OpinionConclusion.values:
        raise ValidationFailed(
            "意见结论应为：" + "、".join(str(c.label) for c in OpinionConclusion), field="conclusion"
        )
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("请填写技术意见", field="text")
    if len(text) > 4000:
        raise ValidationFailed("技术意见不能超过 4000 个字符", field="text")
    if conclusion != OpinionConclusion.GUIDANCE and project.status not in (S.SUBMITTED, S.PRECHECKED):
        raise Conflict("项目报送后才能出具预审结论；报送前请选择“填报指导”")
    opinion = Opinion.objects.create(
        project=project,
        author=actor.user,
        organisation=actor.user.organisation,
        conclusion=conclusion,
        text=text,
    )
    if project.status == S.SUBMITTED and conclusion != OpinionConclusion.GUIDANCE:
        create_transition(
            PROJECT_ACTIONS,
            project,
            to=S.PRECHECKED,
            action="precheck",
            principal=actor,
            reason=f"{opinion.get_conclusion_display()}：{text}",
        )
        project.save(update_fields=["status", "updated_at"])
    record(
        actor=actor,
        action="reduction.opinion",
        obj=opinion,
        after=snapshot(opinion, ["project", "conclusion", "text"]),
    )
    return opinion


def project_approve(*, actor: Principal, project: ReductionProject, reason: str = "") -> ReductionProject:
    """Approve into the library (RED-4) after checking type, accounting and evidence again;
    four eyes: whoever prepared, edited or submitted the project cannot approve it."""
    return perform(PROJECT_ACTIONS, "approve", principal=actor, obj=project, reason=reason)


def project_reject(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """Refuse a project (RED-4); the reason is required and kept."""
    return perform(PROJECT_ACTIONS, "reject", principal=actor, obj=project, reason=reason)


def project_return(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """Return a project to its zone for revision, with the reviewer's comments (RED-4)."""
    return perform(PROJECT_ACTIONS, "return", principal=actor, obj=project, reason=reason)


# --- lines -------------------------------------------------------------------------------------
def resolve_factor(
    factor_id: Any, *, param: accounting.Param, pollutant: Pollutant, on: dt.date
) -> accounting.Factor:
    """The factor ``factor_id`` as the accounting functions use it, if it fits ``param`` and is in
    force on ``on`` for ``pollutant``."""
    try:
        pk = int(factor_id)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{param.label}：系数编号不正确", field=param.name) from None
    row = AccountingFactor.objects.filter(pk=pk).first()
    kind = FactorKind.EFFICIENCY if param.kind == "percent" else FactorKind.EMISSION
    if row is None or row.kind != kind:
        raise ValidationFailed(f"{param.label}：所选系数不存在或类别不符", field=param.name)
    if row.pollutant_id not in (None, pollutant.pk):
        raise ValidationFailed(
            f"{param.label}：所选系数“{row.code}”适用于{row.pollutant}，不适用于{pollutant}", field=param.name
        )
    if not row.in_force_on(on):
        raise ValidationFailed(f"{param.label}：系数“{row.code}”在 {on} 不在有效期内", field=param.name)
    return accounting.Factor(
        value=accounting.parse_factor_value(row.value),
        unit=row.unit,
        label=row.name,
        source=row.source + (f"；{row.source_detail}" if row.source_detail else ""),
        id=row.pk,
        code=row.code,
    )


def account_line(
    *,
    pollutant: Pollutant,
    method: str,
    inputs: dict[str, Any],
    factors: dict[str, Any] | None = None,
    on: dt.date | None = None,
) -> tuple[accounting.Computation, dict[str, Any]]:
    """Compute a line without writing (for previews, imports and :func:`line_set`)."""
    spec = accounting.METHODS.get(method)
    if spec is None:
        raise ValidationFailed(
            "核算方法应为：" + "、".join(m.label for m in accounting.METHODS.values()),
            field="method",
            clause="RED-2",
        )
    if not spec.allows(pollutant.code):
        raise RuleViolation(f"核算方法“{spec.label}”不适用于{pollutant}", field="method", clause="RED-2")
    on = on or _today()
    resolved: dict[str, accounting.Factor] = {}
    for name, factor_id in (factors or {}).items():
        if factor_id in (None, ""):
            continue
        param = next((p for p in spec.params if p.name == name and p.kind in ("factor", "percent")), None)
        if param is None:
            raise ValidationFailed(f"核算方法“{spec.label}”没有可选系数的参数 {name}", field=name)
        resolved[name] = resolve_factor(factor_id, param=param, pollutant=pollutant, on=on)
    unknown = set(inputs) - {p.name for p in spec.params}
    if unknown:
        raise ValidationFailed(
            f"核算方法“{spec.label}”没有参数：" + "、".join(sorted(unknown)), field="inputs"
        )
    try:
        return accounting.evaluate(
            spec, inputs, unit=(pollutant.unit.value, pollutant.unit.grams), factors=resolved
        )
    except accounting.AccountingError as exc:
        # The parameter's own name, as the line form's fields and the API's ``inputs`` keys are.
        field = exc.param or "inputs"
        raise RuleViolation(
            exc.message,
            field=field,
            clause="RED-2",
            errors=[{"field": field, "message": exc.message}],
        ) from None


LINE_FIELDS = ["project", "pollutant", "method", "inputs", "baseline_grams", "post_grams", "reduction_grams"]


@transaction.atomic
def line_set(
    *,
    actor: Principal,
    project: ReductionProject,
    pollutant: Pollutant,
    method: str,
    inputs: dict[str, Any],
    factors: dict[str, Any] | None = None,
) -> ReductionLine:
    """Account the reduction of ``pollutant`` by ``method`` and store it with its inputs and trace
    (RED-2); replaces the project's earlier line for that pollutant."""
    project = _lock(project)
    _may_prepare(actor, project)
    _require_editable(project)
    computation, stored = account_line(pollutant=pollutant, method=method, inputs=inputs, factors=factors)
    _reopen_if_returned(project, actor)
    line = ReductionLine.objects.filter(project=project, pollutant=pollutant).first()
    before = snapshot(line, LINE_FIELDS) if line is not None else None
    if line is None:
        line = ReductionLine(project=project, pollutant=pollutant)
    line.method = method
    line.inputs = stored
    line.baseline_grams = computation.baseline_grams
    line.post_grams = computation.post_grams
    line.reduction_grams = computation.reduction_grams
    line.computation = computation.text
    line.updated_by = actor.user
    line.save()
    _touch(project, actor)
    record(
        actor=actor,
        action="reduction.line_set",
        obj=line,
        before=before,
        after=snapshot(line, LINE_FIELDS),
    )
    return line


@transaction.atomic
def line_delete(*, actor: Principal, line: ReductionLine) -> None:
    project = _lock(line.project)
    _may_prepare(actor, project)
    _require_editable(project)
    _reopen_if_returned(project, actor)
    before = snapshot(line, LINE_FIELDS)
    pk = line.pk
    line.delete()
    _touch(project, actor)
    record(
        actor=actor,
        action="reduction.line_delete",
        object_type="reductions.reductionline",
        object_id=pk,
        object_repr=f"{project} · {line.pollutant}",
        before=before,
    )


# --- evidence ----------------------------------------------------------------------------------
def _safe_name(name: str) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if len(base) > 200:
        stem, ext = os.path.splitext(base)
        base = stem[: 200 - len(ext)] + ext
    return base or "file"


@transaction.atomic
def evidence_add(
    *, actor: Principal, project: ReductionProject, kind: str, upload: Any, note: str = ""
) -> Evidence:
    """Attach a document to a project: type checked from the bytes, size limited, SHA-256 kept."""
    project = _lock(project)
    _may_prepare(actor, project)
    _require_editable(project)
    if kind not in EvidenceKind.values:
        raise ValidationFailed("材料类型应为：" + "、".join(str(k.label) for k in EvidenceKind), field="kind")
    if upload is None:
        raise ValidationFailed("请选择要上传的文件", field="file")
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise RuleViolation(
            f"文件过大：{size / 1048576:.1f} MB，单个文件不能超过 {limit / 1048576:.0f} MB",
            field="file",
            clause="RED-3",
        )
    try:
        found = sniff(upload)
    except UnsupportedFile as exc:
        raise RuleViolation(str(exc), field="file", clause="RED-3") from None
    if found.size > limit:
        raise RuleViolation(
            f"文件过大：单个文件不能超过 {limit / 1048576:.0f} MB", field="file", clause="RED-3"
        )
    if project.evidence.filter(sha256=found.sha256).exists():
        raise Conflict("同一文件已上传到该项目", field="file")
    note = (note or "").strip()[:200]
    evidence = Evidence(
        project=project,
        kind=kind,
        original_name=_safe_name(getattr(upload, "name", "")),
        size_bytes=found.size,
        sha256=found.sha256,
        content_type=found.content_type,
        note=note,
        uploaded_by=actor.user,
    )
    # Files are stored under their digest, so the same bytes uploaded to another project are
    # already on disk and are shared rather than written again.
    storage = evidence.file.storage
    target = evidence_path(evidence, "")
    written = not storage.exists(target)
    if written:
        upload.seek(0)
        evidence.file.save(f"{found.sha256}.{found.extension}", File(upload), save=False)
    else:
        evidence.file.name = target
    stored = evidence.file.name or target
    try:
        evidence.save()
        _reopen_if_returned(project, actor)
        _touch(project, actor)
        record(
            actor=actor,
            action="reduction.evidence_add",
            obj=evidence,
            after=snapshot(
                evidence, ["project", "kind", "original_name", "size_bytes", "sha256", "content_type"]
            ),
        )
    except BaseException:
        # The row rolls back with the transaction; the bytes this call wrote go with it. (A caller
        # whose enclosing transaction rolls back after we return leaves a file no row names:
        # ``manage.py reductions_sweep_files`` finds and removes those.)
        if written:
            storage.delete(stored)
        raise
    return evidence


@transaction.atomic
def evidence_delete(*, actor: Principal, evidence: Evidence) -> None:
    """Remove a document while the project is still being prepared (the audit log keeps its digest)."""
    project = _lock(evidence.project)
    _may_prepare(actor, project)
    _require_editable(project)
    _reopen_if_returned(project, actor)
    before = snapshot(evidence, ["project", "kind", "original_name", "size_bytes", "sha256", "content_type"])
    pk, name, path = evidence.pk, evidence.original_name, evidence.file.name or ""
    evidence.delete()

    # Remove the stored bytes only once the deletion has committed, and only if no other record
    # (another project) points at the same content.
    def remove() -> None:
        if not Evidence.objects.filter(file=path).exists():
            evidence.file.storage.delete(path)

    transaction.on_commit(remove)
    _touch(project, actor)
    record(
        actor=actor,
        action="reduction.evidence_delete",
        object_type="reductions.evidence",
        object_id=pk,
        object_repr=name,
        before=before,
    )


def orphan_evidence_files_delete(names: list[str]) -> list[str]:
    """Remove stored evidence files no record names (found by
    :func:`~totalquota.reductions.selectors.orphan_evidence_files`); a file that a record has come
    to name since is kept. Returns the names removed."""
    storage = Evidence._meta.get_field("file").storage
    still_named = set(Evidence.objects.filter(file__in=names).values_list("file", flat=True))
    removed = [name for name in names if name not in still_named]
    for name in removed:
        storage.delete(name)
    return removed


# --- usage marks -------------------------------------------------------------------------------
@transaction.atomic
def usage_mark(
    *,
    actor: Principal,
    line: ReductionLine,
    kind: str,
    amount: Any = None,
    reference: str,
    used_on: dt.date | str,
    note: str = "",
) -> LineUsage:
    """Mark part or all of an approved line as used (RES-1 (1)-(3)) or submitted upward.

    Uses that keep a reduction out of the park reserve (binding task, 以新带老, sold) together
    never exceed the line; marks of submission to the upper-level reserve never exceed it either.
    ``amount`` is in the pollutant's unit; blank means all that is still unmarked.
    """
    # Lock the line: two marks checked against the same remaining amount must not both pass.
    line = ReductionLine.objects.select_for_update().select_related("project", "pollutant").get(pk=line.pk)
    if line.project.status != S.APPROVED:
        raise Conflict("只有已入库项目的减排量可以标记使用情况")
    if kind not in UsageKind.values:
        raise ValidationFailed("用途应为：" + "、".join(str(k.label) for k in UsageKind), field="kind")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed("请填写依据文号（如任务文件、批复或合同编号）", field="reference")
    errors: dict[str, str] = {}
    day = _date(used_on, "使用日期", errors, "used_on")
    if errors or day is None:
        raise ValidationFailed(errors.get("used_on", "请填写使用日期"), field="used_on")
    if day > _today():
        raise ValidationFailed("使用日期不能晚于今天", field="used_on")
    dates.USAGE_DAY.check(day, label="使用日期", field="used_on")
    group = list(EXCLUDING_KINDS) if kind in EXCLUDING_KINDS else [UsageKind.UPPER_RESERVE]
    marked = (
        LineUsage.objects.filter(line=line, kind__in=group, cancelled_at__isnull=True).aggregate(
            s=Sum("amount_grams")
        )["s"]
        or 0
    )
    available = line.reduction_grams - marked
    unit = line.pollutant.unit
    if amount in (None, ""):
        grams = available
    else:
        grams = parse_quantity(amount, unit, allow_zero=False, field="amount")
    if grams <= 0 or grams > available:
        raise RuleViolation(
            f"可标记数量为 {format_quantity(max(available, 0), unit, suffix=True)}，"
            f"本次 {format_quantity(max(grams, 0), unit, suffix=True)} 超出",
            field="amount",
            clause="RES-1",
        )
    usage = LineUsage.objects.create(
        line=line,
        kind=kind,
        amount_grams=grams,
        reference=reference[:200],
        used_on=day,
        note=(note or "").strip()[:300],
        marked_by=actor.user,
    )
    record(
        actor=actor,
        action="reduction.usage_mark",
        obj=usage,
        after=snapshot(usage, ["line", "kind", "amount_grams", "reference", "used_on", "note"]),
    )
    return usage


@transaction.atomic
def usage_cancel(*, actor: Principal, usage: LineUsage, reason: str) -> LineUsage:
    """Cancel a mark made in error; the mark stays, with who cancelled it, when and why."""
    usage = LineUsage.objects.select_for_update().get(pk=usage.pk)
    if usage.cancelled_at is not None:
        raise Conflict("该使用标记已撤销")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("撤销须说明理由", field="reason")
    before = snapshot(usage, ["cancelled_at", "cancelled_by", "cancel_reason"])
    usage.cancelled_at = timezone.now()
    usage.cancelled_by = actor.user
    usage.cancel_reason = reason[:300]
    usage.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    record(
        actor=actor,
        action="reduction.usage_cancel",
        obj=usage,
        before=before,
        after=snapshot(usage, ["cancelled_at", "cancelled_by", "cancel_reason"]),
    )
    return usage


# --- rounds and factors ------------------------------------------------------------------------
ROUND_FIELDS = ["year", "quarter", "title", "opens_on", "deadline", "covers_from", "covers_to", "note"]


@transaction.atomic
def round_create(
    *,
    actor: Principal,
    year: int,
    quarter: int,
    opens_on: dt.date,
    deadline: dt.date,
    covers_from: dt.date,
    covers_to: dt.date,
    title: str = "",
    note: str = "",
) -> DeclarationRound:
    """Open a quarterly declaration round (RED-3). A round covering a past year's completions must
    close by that year's declaration deadline (end of February of the next year)."""
    if quarter not in (1, 2, 3, 4):
        raise ValidationFailed("季度应为 1-4", field="quarter")
    dates.check_scope_year(int(year))
    check_round_dates(opens_on=opens_on, deadline=deadline, covers_from=covers_from, covers_to=covers_to)
    if deadline < opens_on:
        raise ValidationFailed("截止日期不能早于开始日期", field="deadline")
    if covers_to < covers_from:
        raise ValidationFailed("覆盖期间的结束日期不能早于开始日期", field="covers_to")
    if covers_to >= deadline:
        raise ValidationFailed("截止日期应晚于覆盖期间（先竣工，后申报）", field="deadline")
    rules = []
    for covered_year in range(covers_from.year, covers_to.year + 1):
        due, rule = previous_year_deadline(covered_year)
        rules.append(rule.snapshot())
        if deadline > due:
            raise RuleViolation(
                f"{covered_year} 年竣工项目须在 {due} 前完成申报，本轮截止日期 {deadline} 晚于该日期",
                field="deadline",
                clause="RED-3",
            )
    # Two rounds must not claim the same completions: each project belongs to one round.
    clash = DeclarationRound.objects.filter(covers_from__lte=covers_to, covers_to__gte=covers_from).first()
    if clash is not None:
        raise Conflict(f"覆盖期间与“{clash}”重叠", field="covers_from")
    if DeclarationRound.objects.filter(year=year, quarter=quarter).exists():
        raise Conflict(f"{year} 年第 {quarter} 季度的申报轮次已存在", field="quarter")
    row = DeclarationRound.objects.create(
        year=year,
        quarter=quarter,
        title=(title or "").strip()[:100] or f"{year} 年第 {quarter} 季度减排项目申报",
        opens_on=opens_on,
        deadline=deadline,
        covers_from=covers_from,
        covers_to=covers_to,
        note=(note or "").strip()[:300],
        rule_snapshot={"rules": rules},
        created_by=actor.user,
    )
    record(actor=actor, action="reduction.round_create", obj=row, after=snapshot(row, ROUND_FIELDS))
    return row


ROUND_DATE_LABELS = {
    "opens_on": "开始日期",
    "deadline": "申报截止日期",
    "covers_from": "覆盖竣工日期自",
    "covers_to": "覆盖竣工日期至",
}


def check_round_dates(**days: dt.date) -> None:
    """Refuse round dates outside their range (lib.dates) before the rule look-ups for them."""
    for name, day in days.items():
        dates.ROUND_DAY.check(day, label=ROUND_DATE_LABELS[name], field=name)


FACTOR_FIELDS = [
    "code",
    "name",
    "kind",
    "pollutant",
    "value",
    "unit",
    "source",
    "source_detail",
    "effective_from",
]


@transaction.atomic
def factor_create(
    *,
    actor: Principal,
    code: str,
    name: str,
    kind: str,
    value: str,
    unit: str,
    source: str,
    effective_from: dt.date,
    pollutant: Pollutant | None = None,
    source_detail: str = "",
) -> AccountingFactor:
    """Add an emission factor or efficiency with its source; lines keep snapshots, so factors are
    added and retired, never edited."""
    code = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9._-]{1,39}", code):
        raise ValidationFailed("编号由字母、数字、点、横线组成，2-40 位", field="code")
    if AccountingFactor.objects.filter(code=code).exists():
        raise Conflict(f"编号 {code} 已存在", field="code")
    if kind not in FactorKind.values:
        raise ValidationFailed("类别不正确", field="kind")
    if kind == FactorKind.EFFICIENCY and unit != accounting.EFFICIENCY_UNIT:
        raise ValidationFailed("效率的单位为 %", field="unit")
    if kind == FactorKind.EMISSION and unit not in accounting.FACTOR_UNITS:
        raise ValidationFailed("排放系数单位应为：" + "、".join(accounting.FACTOR_UNITS), field="unit")
    try:
        parsed = accounting.parse_factor_value(value)
    except accounting.AccountingError as exc:
        raise ValidationFailed(exc.message, field="value") from None
    if kind == FactorKind.EFFICIENCY and parsed > 100:
        raise ValidationFailed("效率不能超过 100%", field="value")
    if not (source or "").strip():
        raise ValidationFailed("请填写来源文件或标准（系数须有出处）", field="source", clause="RED-2")
    if not (name or "").strip():
        raise ValidationFailed("请填写名称", field="name")
    dates.FACTOR_DAY.check(effective_from, label="生效日期", field="effective_from")
    row = AccountingFactor.objects.create(
        code=code,
        name=name.strip()[:200],
        kind=kind,
        pollutant=pollutant,
        value=accounting.fraction_text(parsed),
        unit=unit,
        source=source.strip()[:300],
        source_detail=(source_detail or "").strip()[:300],
        effective_from=effective_from,
    )
    record(actor=actor, action="reduction.factor_create", obj=row, after=snapshot(row, FACTOR_FIELDS))
    return row


@transaction.atomic
def factor_retire(*, actor: Principal, factor: AccountingFactor, effective_to: dt.date) -> AccountingFactor:
    factor = AccountingFactor.objects.select_for_update().get(pk=factor.pk)
    if factor.effective_to is not None:
        raise Conflict("该系数已停用")
    if effective_to <= factor.effective_from:
        raise ValidationFailed("停用日期须晚于生效日期", field="effective_to")
    dates.FACTOR_DAY.check(effective_to, label="停用日期", field="effective_to")
    before = snapshot(factor, ["effective_to"])
    factor.effective_to = effective_to
    factor.save(update_fields=["effective_to"])
    record(
        actor=actor,
        action="reduction.factor_retire",
        obj=factor,
        before=before,
        after=snapshot(factor, ["effective_to"]),
    )
    return factor


# --- bulk declaration --------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    projects: int
    lines: int
    codes: list[str]


@transaction.atomic
def project_import(*, actor: Principal, rows: list[dict[str, Any]]) -> ImportResult:
    """Declare projects from the rows of the XLSX template, all or nothing (RED-3).

    Every row is checked first (project fields, date order, scope, pollutant, method, inputs and
    the accounting itself); if any row is wrong nothing is written and :class:`ValidationFailed`
    carries one entry per problem (``row``, ``column``, ``value``, ``message``). Projects are created
    as drafts; their evidence is uploaded afterwards, before submission.
    """
    from totalquota.reductions.imports import (
        HEADER_OF,
        PROJECT_KEYS,
        find_method,
        find_pollutant,
        parse_inputs,
        row_values,
    )

    if actor.enterprise_id is not None:
        raise Forbidden("企业请逐个填报本单位的减排项目")
    if not rows:
        raise ValidationFailed("文件中没有数据行")
    problems: list[dict[str, Any]] = []

    def problem(number: int, key: str, value: Any, message: str) -> None:
        problems.append(
            {
                "row": number,
                "column": HEADER_OF.get(key, key),
                "value": "" if value is None else str(value),
                "message": message,
            }
        )

    groups: dict[str, dict[str, Any]] = {}
    today = _today()
    for row in rows:
        number = row.get("_row", 0)
        v = row_values(row)
        group_key = v["group"] or f"#{number}"
        data = {k: v[k] for k in PROJECT_KEYS}
        group = groups.get(group_key)
        if group is None:
            _values, errors, rule_errors = clean_project(dict(data), principal=actor)
            for required in ("name", "zone", "project_type", "subtype"):
                if not data.get(required):
                    errors[required] = f"{HEADER_OF[required]}不能为空"
            for field_name, message in errors.items():
                problem(number, field_name, data.get(field_name), message)
            for field_name, message in rule_errors.items():
                if field_name not in errors:
                    problem(number, field_name, data.get(field_name), f"{message}（依据 RED-3）")
            group = groups[group_key] = {"row": number, "data": data, "lines": [], "pollutants": {}}
        else:
            for key in PROJECT_KEYS:
                if str(data[key]) != str(group["data"][key]):
                    problem(
                        number,
                        key,
                        data[key],
                        f"与第 {group['row']} 行（项目序号 {group_key}）的{HEADER_OF[key]}不一致",
                    )
        found = find_pollutant(v["pollutant"]) if v["pollutant"] else None
        if found is None:
            problem(
                number,
                "pollutant",
                v["pollutant"],
                "污染物不能为空" if not v["pollutant"] else "污染物不存在",
            )
            continue
        if found.pk in group["pollutants"]:
            problem(
                number,
                "pollutant",
                v["pollutant"],
                f"与第 {group['pollutants'][found.pk]} 行重复：同一项目每种污染物填一行",
            )
            continue
        group["pollutants"][found.pk] = number
        spec = find_method(v["method"])
        if spec is None:
            problem(
                number,
                "method",
                v["method"],
                "核算方法应为：" + "、".join(m.label.split("（")[0] for m in accounting.METHODS.values()),
            )
            continue
        inputs, codes, parse_problems = parse_inputs(spec, v["inputs"])
        for message in parse_problems:
            problem(number, "inputs", v["inputs"], message)
        factor_ids: dict[str, Any] = {}
        for name, code in codes.items():
            factor = AccountingFactor.objects.filter(code=code.strip().upper()).first()
            if factor is None:
                problem(number, "inputs", code, f"系数编号“{code}”不存在，请在“核算系数”页面查找")
            else:
                factor_ids[name] = factor.pk
        if parse_problems or len(factor_ids) != len(codes):
            continue
        try:
            account_line(pollutant=found, method=spec.code, inputs=inputs, factors=factor_ids, on=today)
        except ValidationFailed as exc:
            problem(number, "inputs", v["inputs"], str(exc))
            continue
        group["lines"].append((found, spec.code, inputs, factor_ids))
    if problems:
        raise ValidationFailed(
            f"导入被拒绝：{len({p['row'] for p in problems})} 行共 {len(problems)} 处错误，未写入任何数据",
            errors=problems,
        )
    codes_created: list[str] = []
    line_count = 0
    for group in groups.values():
        project = project_create(actor=actor, origin=Origin.IMPORT, **group["data"])
        for found, method, inputs, factor_ids in group["lines"]:
            line_set(
                actor=actor,
                project=project,
                pollutant=found,
                method=method,
                inputs=inputs,
                factors=factor_ids,
            )
            line_count += 1
        codes_created.append(project.code or "")
    return ImportResult(projects=len(groups), lines=line_count, codes=codes_created)
