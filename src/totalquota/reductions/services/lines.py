"""Accounted reductions: one line per pollutant, computed by a RED-2 method with its inputs and trace."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.common.i18n import in_chinese
from totalquota.lib.errors import RuleViolation, ValidationFailed
from totalquota.reductions import accounting
from totalquota.reductions.models import (
    AccountingFactor,
    FactorKind,
    ReductionLine,
    ReductionProject,
)
from totalquota.reductions.services.fields import _today
from totalquota.reductions.services.projects import (
    _reopen_if_returned,
    _touch,
    delete_part,
    editable,
)
from totalquota.registry.models import Pollutant


def resolve_factor(
    factor_id: Any, *, param: accounting.Param, pollutant: Pollutant, on: dt.date
) -> accounting.Factor:
    """The factor ``factor_id`` as the accounting functions use it, if it fits ``param`` and is in
    force on ``on`` for ``pollutant``."""
    try:
        pk = int(factor_id)
    except (TypeError, ValueError):
        raise ValidationFailed(
            gettext("{param_label}：系数编号不正确").format(param_label=param.label), field=param.name
        ) from None
    row = AccountingFactor.objects.filter(pk=pk).first()
    kind = FactorKind.EFFICIENCY if param.kind == "percent" else FactorKind.EMISSION
    if row is None or row.kind != kind:
        raise ValidationFailed(
            gettext("{param_label}：所选系数不存在或类别不符").format(param_label=param.label),
            field=param.name,
        )
    if row.pollutant_id not in (None, pollutant.pk):
        raise ValidationFailed(
            gettext("{param_label}：所选系数“{row_code}”适用于{row_pollutant}，不适用于{pollutant}").format(
                param_label=param.label, row_code=row.code, row_pollutant=row.pollutant, pollutant=pollutant
            ),
            field=param.name,
        )
    if not row.in_force_on(on):
        raise ValidationFailed(
            gettext("{param_label}：系数“{row_code}”在 {on} 不在有效期内").format(
                param_label=param.label, row_code=row.code, on=on
            ),
            field=param.name,
        )
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
            gettext("核算方法应为：") + gettext("、").join(str(m.label) for m in accounting.METHODS.values()),
            field="method",
            clause="RED-2",
        )
    if not spec.allows(pollutant.code):
        raise RuleViolation(
            gettext("核算方法“{spec_label}”不适用于{pollutant}").format(
                spec_label=spec.label, pollutant=pollutant
            ),
            field="method",
            clause="RED-2",
        )
    on = on or _today()
    resolved: dict[str, accounting.Factor] = {}
    for name, factor_id in (factors or {}).items():
        if factor_id in (None, ""):
            continue
        param = next((p for p in spec.params if p.name == name and p.kind in ("factor", "percent")), None)
        if param is None:
            raise ValidationFailed(
                gettext("核算方法“{spec_label}”没有可选系数的参数 {name}").format(
                    spec_label=spec.label, name=name
                ),
                field=name,
            )
        resolved[name] = resolve_factor(factor_id, param=param, pollutant=pollutant, on=on)
    unknown = set(inputs) - {p.name for p in spec.params}
    if unknown:
        raise ValidationFailed(
            gettext("核算方法“{label}”没有参数：{names}").format(
                label=spec.label, names="、".join(sorted(unknown))
            ),
            field="inputs",
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
    project = editable(actor, project)
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
    with in_chinese():  # the record keeps the trace in Chinese; pages recompute it in theirs
        unit = pollutant.unit
        line.computation = accounting.recompute(method, stored, unit=(unit.value, unit.grams)).text
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
    delete_part(
        actor,
        line,
        action="reduction.line_delete",
        fields=LINE_FIELDS,
        object_repr=f"{line.project} · {line.pollutant.name}",
    )
