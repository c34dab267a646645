"""Writes of verification and recovery (RES-4) and of the ambient quality the ratios depend on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.emissions.models import VerifiedEmission
from totalquota.emissions.services import enter_once
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger import services as ledger
from totalquota.ledger.models import SourceType
from totalquota.lib import dates
from totalquota.lib.errors import RuleViolation, ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.registry.rules import rule_value
from totalquota.reserve import rules
from totalquota.reserve.decisions import floor_grams, recovery_candidate
from totalquota.reserve.models import (
    ApplicationLine,
    ApplicationStatus,
    AttainmentStatus,
    Indicator,
    RecoveryCase,
    RecoveryKind,
)
from totalquota.reserve.services.annex import annex_reissue
from totalquota.reserve.services.holds import lock_application


@transaction.atomic
def attainment_record(
    *, actor: Principal, year: int, indicator: str, attained: bool, source: str
) -> AttainmentStatus:
    """Enter whether an ambient indicator met its standard in a year (it decides the RES-2 ratio)."""
    if not (source or "").strip():
        raise ValidationFailed("请注明依据（如年度环境质量公报）", field="source")
    dates.check_scope_year(year)
    if indicator not in Indicator.values:
        raise ValidationFailed("指标应为：" + "、".join(Indicator.values), field="indicator")
    return enter_once(
        actor=actor,
        model=AttainmentStatus,
        action="reserve.attainment",
        duplicate=f"{year} 年该指标的达标状况已录入",
        unique={"year": year, "indicator": indicator},
        attained=attained,
        source=source,
    )


@transaction.atomic
def recover(
    *,
    actor: Principal,
    line: ApplicationLine,
    kind: str,
    reason: str,
    surplus_grams: int | None = None,
    verified: VerifiedEmission | None = None,
    today: dt.date | None = None,
) -> RecoveryCase:
    """Return quota of an approved line to the reserve (RES-4).

    (1) not built: the whole deduction goes back to the lots it came from (a reversing posting).
    (2) underused: the reviewer confirms the surplus (permitted - verified actual, or an adjusted
        figure with the reason); surplus x recovery ratio returns as a new lot traceable to the
        allocation, and the line's permitted quantity goes down by the surplus.
    (3) other: like (2) with the amount the reviewer gives and the reason.
    """
    # Lock order step 1: the line's application, so one recovery decision on it at a time (and the
    # recovery number below counts safely); the ledger operation then takes steps 2, 3 and 5.
    application = lock_application(line.application)
    line = ApplicationLine.objects.select_related("pollutant", "allocation", "posting").get(pk=line.pk)
    if application.status != ApplicationStatus.APPROVED or line.posting_id is None:
        raise RuleViolation("只能收回已批准并已扣减的指标", clause="RES-4")
    if not (reason or "").strip():
        raise ValidationFailed("请说明收回理由", field="reason", clause="RES-4")
    today = today or timezone.localdate()
    kind = RecoveryKind(kind)
    snap: dict[str, Any] = {}
    if kind == RecoveryKind.NOT_BUILT:
        if line.recoveries.exists():
            raise RuleViolation("该指标已部分收回，不能再按“不再建设”整体退回", clause="RES-4")
        posting = ledger.reverse(
            actor=actor,
            posting=line.posting,
            reason=f"项目不再建设：{reason}",
            idempotency_key=f"reserve-recover-notbuilt-{line.pk}",
            clause_id="RES-4",
        )
        surplus = recovered = line.deduction_grams
        line.permitted_env_grams = 0
    else:
        if isinstance(surplus_grams, bool) or not isinstance(surplus_grams, int) or surplus_grams <= 0:
            raise ValidationFailed("确认富余量必须大于零", field="surplus_grams", clause="RES-4")
        permitted = line.permitted_env_grams or 0
        if surplus_grams > permitted:
            raise RuleViolation(
                f"确认富余量不能超过现许可量 {format_quantity(permitted, line.pollutant.unit, suffix=True)}",
                clause="RES-4",
            )
        suggested = None
        if kind == RecoveryKind.UNDERUSED:
            candidate = recovery_candidate(line, today=today, verified=verified)
            if candidate is None:
                raise RuleViolation(
                    "该项目不符合 RES-4（2）：须正式投运满一年且核实排放量低于许可量的 80%", clause="RES-4"
                )
            suggested, snap = candidate.suggested_surplus_grams, candidate.snapshot
            verified = candidate.verified
        ratio_value = rule_value(rules.RECOVERY_RATIO.key, today)
        snap["recovery_ratio"] = ratio_value.snapshot()
        recovered = floor_grams(surplus_grams * ratio_value.ratio)
        surplus = surplus_grams
        assert line.allocation is not None
        balance = ledger_selectors.account_balance(line.allocation).available
        if recovered > balance:
            raise RuleViolation(
                f"收回入库量 {format_quantity(recovered, line.pollutant.unit, suffix=True)} 超过该项目指标账户余额 "
                f"{format_quantity(balance, line.pollutant.unit, suffix=True)}",
                clause="RES-4",
            )
        if recovered <= 0:
            raise RuleViolation("按收回比例计算的入库量为零", clause="RES-4")
        number = line.recoveries.count() + 1  # safe: the application row is locked
        posting = ledger.lot_open(
            actor=actor,
            zone=application.zone,
            pollutant=line.pollutant,
            amount_grams=recovered,
            source_type=SourceType.RECOVERY,
            source_ref=f"ledger.account:{line.allocation_id}",
            source_label=f"{application.code} {application.project_name} 指标收回",
            funding_account=line.allocation,
            effective_date=today,
            reason=f"{kind.label}：{reason}",
            clause_id="RES-4",
            code="recovery",
            obj=line,
            idempotency_key=f"reserve-recover-{line.pk}-{number}",
        )
        line.permitted_env_grams = permitted - surplus
        snap["suggested_surplus_grams"] = suggested
    line.save(update_fields=["permitted_env_grams"])
    case = RecoveryCase.objects.create(
        line=line,
        kind=kind,
        verified=verified,
        suggested_surplus_grams=snap.get("suggested_surplus_grams"),
        surplus_grams=surplus,
        recovered_grams=recovered,
        reason=reason,
        rule_snapshot=snap,
        decided_by=actor.user,
        posting=posting,
    )
    annex_reissue(actor=actor, application=application, on=today)  # ANNEX-1 states the new permitted quantity
    record(actor=actor, action="reserve.recover", obj=case, after=snapshot(case))
    return case
