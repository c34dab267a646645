"""Declaration rounds (RED-3) and the accounting factors the methods use (RED-2)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, record_change, snapshot
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed
from totalquota.reductions import accounting
from totalquota.reductions.models import (
    ROUND_TITLE,
    AccountingFactor,
    DeclarationRound,
    FactorKind,
    ReductionProject,
)
from totalquota.reductions.rules import previous_year_deadline
from totalquota.reductions.selectors import next_round_defaults
from totalquota.registry.models import Pollutant

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
    close by that year's declaration deadline (end of February of the next year). Projects declared
    while no round was open, since the previous round closed, join it (their next round)."""
    if quarter not in (1, 2, 3, 4):
        raise ValidationFailed(gettext("季度应为 1-4"), field="quarter")
    dates.check_scope_year(int(year))
    if DeclarationRound.objects.filter(year=year, quarter=quarter).exists():
        raise Conflict(
            gettext("{year} 年第 {quarter} 季度的申报轮次已存在").format(year=year, quarter=quarter),
            field="quarter",
        )
    check_round_dates(opens_on=opens_on, deadline=deadline, covers_from=covers_from, covers_to=covers_to)
    if deadline < opens_on:
        raise ValidationFailed(gettext("截止日期不能早于开始日期"), field="deadline")
    if covers_to < covers_from:
        raise ValidationFailed(gettext("覆盖期间的结束日期不能早于开始日期"), field="covers_to")
    if covers_to >= deadline:
        raise ValidationFailed(gettext("截止日期应晚于覆盖期间（先竣工，后申报）"), field="deadline")
    rules = []
    for covered_year in range(covers_from.year, covers_to.year + 1):
        due, rule = previous_year_deadline(covered_year)
        rules.append(rule.snapshot())
        if deadline > due:
            raise RuleViolation(
                gettext(
                    "{covered_year} 年竣工项目须在 {due} 前完成申报，本轮截止日期 {deadline} 晚于该日期"
                ).format(covered_year=covered_year, due=due, deadline=deadline),
                field="deadline",
                clause="RED-3",
            )
    # Two rounds must not claim the same completions: each project belongs to one round.
    clash = DeclarationRound.objects.filter(covers_from__lte=covers_to, covers_to__gte=covers_from).first()
    if clash is not None:
        raise Conflict(gettext("覆盖期间与“{clash}”重叠").format(clash=clash), field="covers_from")
    row = DeclarationRound.objects.create(
        year=year,
        quarter=quarter,
        title=(title or "").strip()[:100] or ROUND_TITLE.format(year=year, quarter=quarter),
        opens_on=opens_on,
        deadline=deadline,
        covers_from=covers_from,
        covers_to=covers_to,
        note=(note or "").strip()[:300],
        rule_snapshot={"rules": rules},
        created_by=actor.user,
    )
    joined = _take_waiting_projects(row)
    record(
        actor=actor,
        action="reduction.round_create",
        obj=row,
        after={**snapshot(row, ROUND_FIELDS), "joined_projects": joined},
    )
    return row


def _take_waiting_projects(row: DeclarationRound) -> list[int]:
    """Projects declared while no round was open or scheduled (after the last round that closed
    before this one opens, up to this round's deadline) belong to this round: their next one."""
    waiting = ReductionProject.objects.filter(
        round__isnull=True, declared_on__isnull=False, declared_on__lte=row.deadline
    )
    previous = (
        DeclarationRound.objects.filter(deadline__lt=row.opens_on)
        .exclude(pk=row.pk)
        .order_by("-deadline")
        .first()
    )
    if previous is not None:
        waiting = waiting.filter(declared_on__gt=previous.deadline)
    # The UPDATE locks the waiting project rows (lock order step 1, workflow rows; nothing else is
    # locked here): an edit or action holding one finishes first, and reads the round afterwards.
    ids = sorted(waiting.values_list("pk", flat=True))
    ReductionProject.objects.filter(pk__in=ids).update(round=row)
    return ids


@transaction.atomic
def round_open_next(*, actor: Principal, **changes: Any) -> DeclarationRound:
    """Open the next quarter's round with the default dates (``selectors.next_round_defaults``:
    the quarter after the latest round, the whole quarter, the first quarter ending on the rule's
    end-of-February day), any of them changed by ``changes``; refused like :func:`round_create`
    (a second round for the quarter is a conflict, nothing written)."""
    data = next_round_defaults(timezone.localdate())
    data.update({name: value for name, value in changes.items() if value not in (None, "")})
    return round_create(actor=actor, **data)


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
        raise ValidationFailed(gettext("编号由字母、数字、点、横线组成，2-40 位"), field="code")
    if AccountingFactor.objects.filter(code=code).exists():
        raise Conflict(gettext("编号 {code} 已存在").format(code=code), field="code")
    if kind not in FactorKind.values:
        raise ValidationFailed(gettext("类别不正确"), field="kind")
    if kind == FactorKind.EFFICIENCY and unit != accounting.EFFICIENCY_UNIT:
        raise ValidationFailed(gettext("效率的单位为 %"), field="unit")
    if kind == FactorKind.EMISSION and unit not in accounting.FACTOR_UNITS:
        raise ValidationFailed("排放系数单位应为：" + "、".join(accounting.FACTOR_UNITS), field="unit")
    try:
        parsed = accounting.parse_factor_value(value)
    except accounting.AccountingError as exc:
        raise ValidationFailed(exc.message, field="value") from None
    if kind == FactorKind.EFFICIENCY and parsed > 100:
        raise ValidationFailed(gettext("效率不能超过 100%"), field="value")
    if not (source or "").strip():
        raise ValidationFailed(
            gettext("请填写来源文件或标准（系数须有出处）"), field="source", clause="RED-2"
        )
    if not (name or "").strip():
        raise ValidationFailed(gettext("请填写名称"), field="name")
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
        raise Conflict(gettext("该系数已停用"))
    if effective_to <= factor.effective_from:
        raise ValidationFailed(gettext("停用日期须晚于生效日期"), field="effective_to")
    dates.FACTOR_DAY.check(effective_to, label="停用日期", field="effective_to")
    record_change(actor=actor, action="reduction.factor_retire", obj=factor, effective_to=effective_to)
    return factor
