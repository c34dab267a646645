"""Rule parameters of the reduction library (values are seeded by migration 0002).

- ``reduction_previous_year_deadline`` (RED-3): the day by which a year's projects are declared in
  the following year ("每年 2 月底前完成上一年度项目申报"). Written "MM-DD"; a day past the end of
  the month means its last day, so "02-29" is 28 February in common years.
- ``reduction_round_reminder_days`` (RED-3): how many days before a round's deadline the home pages
  start reminding preparers.
- ``reduction_required_evidence`` (RED-3 (3), RED-4): evidence kinds every project needs before
  approval, comma-separated (``acceptance,investment``…).
- ``reduction_computed_evidence`` (RED-2): evidence kinds a project needs when any of its lines is
  computed by a formula (the accounting process and basis). A documented figure instead needs the
  document it is taken from (see :data:`DOCUMENT_EVIDENCE`).
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils.translation import gettext_lazy as _

from totalquota.reductions.models import EvidenceKind
from totalquota.registry.rules import RuleKey, RuleValue, register, rule_value

PREVIOUS_YEAR_DEADLINE = register(
    RuleKey(
        "reduction_previous_year_deadline",
        "month_day",
        "RED-3",
        _("上一年度减排项目申报截止日（月-日，超出当月天数按月末计，如 02-29 即 2 月底）"),
        name=_("上一年度项目申报截止日"),
    )
)
ROUND_REMINDER_DAYS = register(
    RuleKey(
        "reduction_round_reminder_days",
        "days",
        "RED-3",
        _("申报轮次截止前提醒天数"),
        name=_("申报截止提醒天数"),
    )
)
REQUIRED_EVIDENCE = register(
    RuleKey(
        "reduction_required_evidence",
        "text",
        "RED-3",
        _(
            "每个减排项目审核通过前须具备的佐证材料类型（逗号分隔：acceptance, investment, accounting, eia, permit）"
        ),
        name=_("审核通过前必备佐证材料"),
        choices=EvidenceKind,
    )
)
COMPUTED_EVIDENCE = register(
    RuleKey(
        "reduction_computed_evidence",
        "text",
        "RED-2",
        _("按公式核算的减排项目须具备的佐证材料类型（逗号分隔）"),
        name=_("公式核算项目必备佐证材料"),
        choices=EvidenceKind,
    )
)

# A documented figure (RED-2) must come with the document it is taken from.
DOCUMENT_EVIDENCE = {
    "acceptance": "acceptance",
    "permit": "permit",
    "eia": "eia",
    "statistics": "accounting",
    "monitoring": "accounting",
}


def month_day_in(year: int, text: str) -> dt.date:
    """The date ``text`` ("MM-DD") names in ``year``, clamped to the month's last day."""
    month, day = int(text[:2]), int(text[3:])
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def previous_year_deadline(year: int) -> tuple[dt.date, RuleValue]:
    """The day by which projects completed in ``year`` must be declared, and the rule used."""
    due_year = year + 1
    rule = rule_value(PREVIOUS_YEAR_DEADLINE.key, dt.date(due_year, 1, 1))
    return month_day_in(due_year, rule.value), rule


def evidence_kinds(rule: RuleValue) -> list[str]:
    return [k.strip() for k in str(rule.value or "").split(",") if k.strip()]
