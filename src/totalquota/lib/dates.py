"""Plausible ranges for every date people and systems give the platform, each with its reason.

A date outside its range is a typing slip (0001-01-01, 9999-12-31, a year typed as 2205), and
such dates break what is computed from them later (a deadline in year 10000 does not exist). So
every date field has a range here, and it is used everywhere the date comes in: the forms show it
in the help text, the API schemas in the description, and the services check it last before they
write (raising :class:`~totalquota.lib.errors.ValidationFailed`, a 422 at the API).

The ranges (one place; change them here only):

- Nothing anywhere before 1990-01-01 or after 2100-12-31 (:data:`PLATFORM`).
- Completion and acceptance of reductions, declaration rounds, usage of reductions and quarterly
  intake from 2021-01-01: the implementation rules apply from the 14th Five-Year Plan on
  (SCOPE-1), so an earlier reduction cannot enter the library (:data:`REDUCTION`).
- A reduction project's start of works, a unit's start of discharge, factors' and rule
  parameters' effective dates and ledger dates may be earlier than 2021 (a project started in
  2019 and completed in 2021 counts; standards and permits predate the platform), so they only
  keep the platform range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from totalquota.lib.errors import ValidationFailed

EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2100, 12, 31)
SCOPE_START = dt.date(2021, 1, 1)


def check_scope_year(year: Any, *, field: str = "year") -> int:
    """``year`` if it is a whole year the rules apply to (from 2021, SCOPE-1, to 2100)."""
    if isinstance(year, bool) or not isinstance(year, int) or not SCOPE_START.year <= year <= LATEST.year:
        message = gettext("年度应在 {earliest} 至 {latest} 之间（SCOPE-1）").format(
            earliest=SCOPE_START.year, latest=LATEST.year
        )
        raise ValidationFailed(
            message, field=field, clause="SCOPE-1", errors=[{"field": field, "message": message}]
        )
    return year


@dataclass(frozen=True)
class DateRange:
    """The dates a field may hold, from ``earliest`` to ``latest`` inclusive, and why."""

    earliest: dt.date
    latest: dt.date
    reason: Any  # a lazily translated sentence
    clause: str | None = None

    def __contains__(self, day: dt.date) -> bool:
        return self.earliest <= day <= self.latest

    @property
    def text(self) -> str:
        """For help texts and schema descriptions: "2021-01-01 至 2100-12-31（reason）"."""
        return gettext("{earliest} 至 {latest}（{reason}）").format(
            earliest=self.earliest.isoformat(), latest=self.latest.isoformat(), reason=self.reason
        )

    def refusal(self, day: dt.date, label: Any) -> str | None:
        """The message refusing ``day`` for the field ``label`` (in the request's language), or
        ``None`` if it fits."""
        if day in self:
            return None
        return gettext("{label}（{day}）应在 {range}").format(
            label=label, day=day.isoformat(), range=self.text
        )

    def check(self, day: Any, *, label: str, field: str) -> Any:
        """``day`` unchanged if it is ``None`` or in range; :class:`ValidationFailed` naming
        ``field`` otherwise (the services' final check before writing)."""
        if day is not None and not isinstance(day, dt.date):
            not_a_date = gettext("{label}应为日期").format(label=label)
            raise ValidationFailed(not_a_date, field=field, errors=[{"field": field, "message": not_a_date}])
        if isinstance(day, dt.datetime):
            day = day.date()
        if isinstance(day, dt.date):
            message = self.refusal(day, label)
            if message:
                raise ValidationFailed(
                    message, field=field, clause=self.clause, errors=[{"field": field, "message": message}]
                )
        return day

    def validator(self, label: str):
        """A Django form/model validator for this range."""

        def validate(day: dt.date) -> None:
            message = self.refusal(day, label) if isinstance(day, dt.date) else None
            if message:
                raise DjangoValidationError(message, code="date_range")

        return validate


PLATFORM = DateRange(EARLIEST, LATEST, _("平台记录的日期均在 1990 年至 2100 年之间，超出多为误填"))
REDUCTION = DateRange(
    SCOPE_START,
    LATEST,
    _("实施细则自“十四五”（2021 年）起适用，此前完成的减排不纳入减排库"),
    clause="SCOPE-1",
)

# Every date field of the platform, by model and field, with its range.
PROJECT_START = DateRange(EARLIEST, LATEST, _("减排工程可在“十四五”之前开工，但不早于 1990 年"))
PROJECT_COMPLETION = REDUCTION
PROJECT_ACCEPTANCE = REDUCTION
USAGE_DAY = DateRange(SCOPE_START, LATEST, _("使用的是 2021 年起入库的减排量"), clause="SCOPE-1")
ROUND_DAY = DateRange(SCOPE_START, LATEST, _("申报轮次覆盖 2021 年起竣工的项目"), clause="SCOPE-1")
FACTOR_DAY = DateRange(EARLIEST, LATEST, _("核算系数出自的标准可早于“十四五”，但不早于 1990 年"))
RULE_DAY = DateRange(EARLIEST, LATEST, _("规则参数可追溯“十四五”之前的文件，但不早于 1990 年"))
OPERATION_DAY = DateRange(SCOPE_START, LATEST, _("投运的项目经本平台 2021 年起批准"), clause="SCOPE-1")
INTAKE_DAY = DateRange(SCOPE_START, LATEST, _("季度入库自 2021 年起"), clause="SCOPE-1")
HISTORY_DAY = DateRange(SCOPE_START, LATEST, _("历史数据自 2021 年起导入"), clause="SCOPE-1")
UNIT_CHANGE_DAY = DateRange(SCOPE_START, LATEST, _("单位沿革自 2021 年起登记"), clause="SCOPE-1")
LEDGER_DAY = DateRange(EARLIEST, LATEST, _("期初储备等可来自“十四五”之前的许可，但不早于 1990 年"))
QUERY_DAY = PLATFORM
# An issued document is dated by its decision; decisions taken before documents were recorded get
# theirs later, dated then.
ISSUE_DAY = PLATFORM

FIELD_RANGES: dict[str, DateRange] = {
    # The span of an imported file's rows (the rows themselves are checked against SCOPE-1).
    "history.HistoryImport.first_day": HISTORY_DAY,
    "history.HistoryImport.last_day": HISTORY_DAY,
    "reductions.ReductionProject.start_date": PROJECT_START,
    "reductions.ReductionProject.completion_date": PROJECT_COMPLETION,
    "reductions.ReductionProject.acceptance_date": PROJECT_ACCEPTANCE,
    "reductions.LineUsage.used_on": USAGE_DAY,
    "reductions.DeclarationRound.opens_on": ROUND_DAY,
    "reductions.DeclarationRound.deadline": ROUND_DAY,
    "reductions.DeclarationRound.covers_from": ROUND_DAY,
    "reductions.DeclarationRound.covers_to": ROUND_DAY,
    "reductions.AccountingFactor.effective_from": FACTOR_DAY,
    "reductions.AccountingFactor.effective_to": FACTOR_DAY,
    "registry.RuleParameter.effective_from": RULE_DAY,
    "registry.RuleParameter.effective_to": RULE_DAY,
    # Permits predate the platform, and a calendar may be kept for any year it serves.
    "registry.PermitLimit.valid_from": PLATFORM,
    "registry.PermitLimit.valid_to": PLATFORM,
    "registry.CalendarDay.date": PLATFORM,
    "registry.UnitVersion.effective_on": UNIT_CHANGE_DAY,
    "emissions.DeadlineExtension.due_on": PLATFORM,
    "emissions.Reminder.due_on": PLATFORM,
    "emissions.Reminder.sent_on": PLATFORM,
    "emissions.SourceImport.source_date": PLATFORM,
    "reserve.QuotaApplication.operation_started_on": OPERATION_DAY,
    "reserve.IntakeRun.period_start": INTAKE_DAY,
    "reserve.IntakeRun.period_end": INTAKE_DAY,
    "reserve.IntakeRun.effective_date": INTAKE_DAY,
    # A zone transfer, correction or upper-level deduction posts on its effective date.
    "reserve.QuotaAdjustment.effective_date": LEDGER_DAY,
    "ledger.Account.opened_on": LEDGER_DAY,
    "ledger.Balance.lot_opened_on": LEDGER_DAY,
    "ledger.ZoneDailyChange.day": LEDGER_DAY,
    "ledger.Posting.effective_date": LEDGER_DAY,
    "ledger.Transfer.effective_date": LEDGER_DAY,
    "documents.IssuedDocument.issued_on": ISSUE_DAY,
    # Set by the platform (the day of declaration, the end of an answer period) or chosen for an
    # absence: no narrower range than the platform's own.
    "reductions.ReductionProject.declared_on": PLATFORM,
    "reserve.RecoveryCase.answer_due": PLATFORM,
    "accounts.Delegation.starts_on": PLATFORM,
    "accounts.Delegation.ends_on": PLATFORM,
    # Supervision (SUP-4, RES-3): a finding's inspection and stages, a bulletin's period, the
    # daily warning check.
    "enforcement.Finding.inspection_date": PLATFORM,
    "enforcement.Notice.issued_on": ISSUE_DAY,
    "enforcement.Notice.answer_due": PLATFORM,
    "enforcement.PenaltyDecision.decided_on": ISSUE_DAY,
    "enforcement.CreditEntry.recorded_on": ISSUE_DAY,
    "reports.Bulletin.issued_on": ISSUE_DAY,
    "reports.BulletinSeries.start": QUERY_DAY,
    "reports.BulletinSeries.end": QUERY_DAY,
    "reserve.WarningState.checked_on": PLATFORM,
    "reserve.WarningState.changed_on": PLATFORM,
}


def help_text(day_range: DateRange, extra: Any = "") -> Any:
    """A form's help text for a date field: the range and its reason (translated lazily)."""
    text = format_lazy(
        _("可填日期：{earliest} 至 {latest}（{reason}）"),
        earliest=day_range.earliest.isoformat(),
        latest=day_range.latest.isoformat(),
        reason=day_range.reason,
    )
    return format_lazy("{}；{}", extra, text) if extra else text


def form_field(day_range: DateRange, label: Any, *, extra_help: Any = "", **kwargs: Any) -> Any:
    """A form ``DateField`` for ``day_range``: its help text shows the range and the reason, and
    a date outside it is a form error."""
    from django import forms

    kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    return forms.DateField(
        label=label,
        help_text=help_text(day_range, extra_help),
        validators=[day_range.validator(str(label))],
        **kwargs,
    )


def describe(day_range: DateRange, extra: str = "") -> str:
    """An API schema description for a date field (ISO 8601, the range and its reason)."""
    return (extra + "。" if extra else "") + "ISO 8601 日期（YYYY-MM-DD），" + day_range.text
