"""Usage marks on approved lines (RES-1 (1)-(3), the upper-level reserve)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, record_change, snapshot
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed
from totalquota.lib.units import format_quantity, parse_quantity
from totalquota.reductions.models import (
    EXCLUDING_KINDS,
    LineUsage,
    ProjectStatus,
    ReductionLine,
    UsageKind,
)
from totalquota.reductions.services.fields import _date, _today

S = ProjectStatus


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
        raise Conflict(gettext("只有已入库项目的减排量可以标记使用情况"))
    if kind not in UsageKind.values:
        raise ValidationFailed("用途应为：" + "、".join(str(k.label) for k in UsageKind), field="kind")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed(gettext("请填写依据文号（如任务文件、批复或合同编号）"), field="reference")
    errors: dict[str, str] = {}
    day = _date(used_on, "使用日期", errors, "used_on")
    if errors or day is None:
        raise ValidationFailed(errors.get("used_on", "请填写使用日期"), field="used_on")
    if day > _today():
        raise ValidationFailed(gettext("使用日期不能晚于今天"), field="used_on")
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
            gettext("可标记数量为 {v0}，本次 {v1} 超出").format(
                v0=format_quantity(max(available, 0), unit, suffix=True),
                v1=format_quantity(max(grams, 0), unit, suffix=True),
            ),
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
        raise Conflict(gettext("该使用标记已撤销"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(gettext("撤销须说明理由"), field="reason")
    record_change(
        actor=actor,
        action="reduction.usage_cancel",
        obj=usage,
        cancelled_at=timezone.now(),
        cancelled_by=actor.user,
        cancel_reason=reason[:300],
    )
    return usage
