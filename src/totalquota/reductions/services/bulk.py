"""Bulk declaration from the XLSX template, all or nothing (RED-3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.lib.errors import Forbidden, ValidationFailed
from totalquota.reductions import accounting
from totalquota.reductions.models import (
    AccountingFactor,
    Origin,
)
from totalquota.reductions.services.fields import _today, clean_project
from totalquota.reductions.services.lines import account_line, line_set
from totalquota.reductions.services.projects import project_create


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
        raise Forbidden(gettext("企业请逐个填报本单位的减排项目"))
    if not rows:
        raise ValidationFailed(gettext("文件中没有数据行"))
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
                    errors[required] = gettext("{v0}不能为空").format(v0=HEADER_OF[required])
            for field_name, message in errors.items():
                problem(number, field_name, data.get(field_name), message)
            for field_name, message in rule_errors.items():
                if field_name not in errors:
                    problem(
                        number,
                        field_name,
                        data.get(field_name),
                        gettext("{message}（依据 RED-3）").format(message=message),
                    )
            group = groups[group_key] = {"row": number, "data": data, "lines": [], "pollutants": {}}
        else:
            for key in PROJECT_KEYS:
                if str(data[key]) != str(group["data"][key]):
                    problem(
                        number,
                        key,
                        data[key],
                        gettext("与第 {v0} 行（项目序号 {group_key}）的{v2}不一致").format(
                            v0=group["row"], group_key=group_key, v2=HEADER_OF[key]
                        ),
                    )
        found = find_pollutant(v["pollutant"]) if v["pollutant"] else None
        if found is None:
            problem(
                number,
                "pollutant",
                v["pollutant"],
                gettext("污染物不能为空") if not v["pollutant"] else gettext("污染物不存在"),
            )
            continue
        if found.pk in group["pollutants"]:
            problem(
                number,
                "pollutant",
                v["pollutant"],
                gettext("与第 {v0} 行重复：同一项目每种污染物填一行").format(
                    v0=group["pollutants"][found.pk]
                ),
            )
            continue
        group["pollutants"][found.pk] = number
        spec = find_method(v["method"])
        if spec is None:
            problem(
                number,
                "method",
                v["method"],
                gettext("核算方法应为：")
                + gettext("、").join(str(m.label).split("（")[0] for m in accounting.METHODS.values()),
            )
            continue
        inputs, codes, parse_problems = parse_inputs(spec, v["inputs"])
        for message in parse_problems:
            problem(number, "inputs", v["inputs"], message)
        factor_ids: dict[str, Any] = {}
        for name, code in codes.items():
            factor = AccountingFactor.objects.filter(code=code.strip().upper()).first()
            if factor is None:
                problem(
                    number,
                    "inputs",
                    code,
                    gettext("系数编号“{code}”不存在，请在“核算系数”页面查找").format(code=code),
                )
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
            gettext("导入被拒绝：{v0} 行共 {v1} 处错误，未写入任何数据").format(
                v0=len({p["row"] for p in problems}), v1=len(problems)
            ),
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
