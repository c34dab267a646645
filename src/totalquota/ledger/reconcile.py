"""Recomputing the ledger from its transfers and comparing with the kept balances."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from totalquota.audit.selectors import verify_chain
from totalquota.ledger.models import (
    Account,
    AccountKind,
    Balance,
    Phase,
    Transfer,
    TransferOrigin,
    ZoneBalance,
    ZoneDailyChange,
)

POSTED = [Phase.POSTED, Phase.POST_PENDING]


@dataclass
class ReconcileReport:
    """What :func:`reconcile` found; ``problems`` is empty when everything agrees."""

    accounts: int = 0
    transfers: int = 0
    debits_posted: int = 0
    credits_posted: int = 0
    audit_events: int = 0
    # phase -> [transfers, grams], for the command's summary
    phases: dict[str, list[int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # How many discrepancies were found in all (``problems`` keeps the first ``limit`` of them).
    problem_total: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _sums(queryset, group: str) -> dict[int, int]:
    return {k: v for k, v in queryset.values(group).annotate(s=Sum("amount_grams")).values_list(group, "s")}


def _check_phases(report: ReconcileReport) -> None:
    """Every phase, not only those that move balances: a resolution (``post_pending`` or
    ``void_pending``) must resolve a ``pending`` transfer between the same accounts, of the same
    pollutant; a void releases exactly what was held and a posting at most that (the balances only
    ever use the held amount, so an edited resolution amount would otherwise go unnoticed)."""
    for phase, count, grams in (
        Transfer.objects.values("phase")
        .annotate(n=Count("id"), s=Sum("amount_grams"))
        .values_list("phase", "n", "s")
        .order_by("phase")
    ):
        report.phases[phase] = [count, grams or 0]
    unknown = set(report.phases) - set(Phase.values)
    for phase in sorted(unknown):
        report.problems.append(f"{report.phases[phase][0]} 笔划转的状态 {phase!r} 无效")
    for row in Transfer.objects.filter(phase__in=[Phase.POST_PENDING, Phase.VOID_PENDING]).values(
        "pk",
        "phase",
        "amount_grams",
        "debit_id",
        "credit_id",
        "pollutant_id",
        "pending_ref_id",
        "pending_ref__phase",
        "pending_ref__amount_grams",
        "pending_ref__debit_id",
        "pending_ref__credit_id",
        "pending_ref__pollutant_id",
    ):
        name = f"划转 {row['pk']}（{row['phase']}）"
        if row["pending_ref_id"] is None:
            report.problems.append(f"{name} 没有所处理的预留")
            continue
        held = row["pending_ref__amount_grams"]
        if row["pending_ref__phase"] != Phase.PENDING:
            report.problems.append(f"{name} 处理的划转 {row['pending_ref_id']} 不是预留")
        if (row["debit_id"], row["credit_id"], row["pollutant_id"]) != (
            row["pending_ref__debit_id"],
            row["pending_ref__credit_id"],
            row["pending_ref__pollutant_id"],
        ):
            report.problems.append(f"{name} 的账户或污染物与其预留 {row['pending_ref_id']} 不同")
        if row["phase"] == Phase.VOID_PENDING and row["amount_grams"] != held:
            report.problems.append(
                f"{name} 释放 {row['amount_grams']} 克，但预留 {row['pending_ref_id']} 为 {held} 克"
            )
        if row["phase"] == Phase.POST_PENDING and not 0 < row["amount_grams"] <= held:
            report.problems.append(
                f"{name} 转记账 {row['amount_grams']} 克，超出预留 {row['pending_ref_id']} 的 {held} 克"
            )


def reconcile(*, check_audit: bool = True, limit: int = 50) -> ReconcileReport:
    report = ReconcileReport()
    posted = Transfer.objects.filter(phase__in=POSTED)
    open_holds = Transfer.objects.filter(phase=Phase.PENDING, resolution__isnull=True)
    expected = {
        "debits_posted": _sums(posted, "debit_id"),
        "credits_posted": _sums(posted, "credit_id"),
        "debits_pending": _sums(open_holds, "debit_id"),
        "credits_pending": _sums(open_holds, "credit_id"),
    }
    kinds = dict(Account.objects.values_list("pk", "kind"))
    report.accounts = len(kinds)
    report.transfers = Transfer.objects.count()
    balances = {b.account_id: b for b in Balance.objects.all()}
    for account_id in kinds:
        bal = balances.get(account_id)
        if bal is None:
            report.problems.append(f"账户 {account_id} 缺少余额行")
            continue
        for name, sums in expected.items():
            want = sums.get(account_id, 0)
            if getattr(bal, name) != want:
                report.problems.append(
                    f"账户 {account_id} 的 {name} 为 {getattr(bal, name)}，按流水应为 {want}"
                )
        if bal.floor_zero and bal.credits_posted - bal.debits_posted - bal.debits_pending < 0:
            report.problems.append(f"账户 {account_id} 透支")
    report.debits_posted = sum(b.debits_posted for b in balances.values())
    report.credits_posted = sum(b.credits_posted for b in balances.values())
    if report.debits_posted != report.credits_posted:
        report.problems.append(f"借方合计 {report.debits_posted} 与贷方合计 {report.credits_posted} 不等")

    zone_of = dict(Account.objects.filter(kind=AccountKind.LOT).values_list("pk", "zone_id"))
    pollutant_of = dict(Account.objects.filter(kind=AccountKind.LOT).values_list("pk", "pollutant_id"))
    zone_totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for account_id, zone_id in zone_of.items():
        b = balances.get(account_id)
        if b is None:
            continue
        t = zone_totals[(zone_id, pollutant_of[account_id])]
        t[0] += b.debits_posted
        t[1] += b.credits_posted
        t[2] += b.debits_pending
        t[3] += b.credits_pending
    for zrow in ZoneBalance.objects.all():
        totals = zone_totals.pop((zrow.zone_id, zrow.pollutant_id), [0, 0, 0, 0])
        have = [zrow.debits_posted, zrow.credits_posted, zrow.debits_pending, zrow.credits_pending]
        if have != totals:
            report.problems.append(
                f"功能区 {zrow.zone_id} 污染物 {zrow.pollutant_id} 的汇总行 {have} 与批次合计 {totals} 不符"
            )
    for (zone_id, pollutant_id), totals in zone_totals.items():
        if any(totals):
            report.problems.append(f"功能区 {zone_id} 污染物 {pollutant_id} 缺少汇总行")

    daily: dict[tuple[int, int, object], list[int]] = defaultdict(lambda: [0, 0])
    for column, side in (("credit_lot_zone_id", 0), ("debit_lot_zone_id", 1)):
        for zone_id, pollutant_id, day, s in (
            posted.filter(**{f"{column}__isnull": False})
            .values(column, "pollutant_id", "effective_date")
            .annotate(s=Sum("amount_grams"))
            .values_list(column, "pollutant_id", "effective_date", "s")
        ):
            daily[(zone_id, pollutant_id, day)][side] += s
    for change in ZoneDailyChange.objects.all():
        pair = daily.pop((change.zone_id, change.pollutant_id, change.day), [0, 0])
        if [change.credits, change.debits] != pair:
            report.problems.append(
                f"功能区 {change.zone_id} 污染物 {change.pollutant_id} {change.day} 的日变动 {[change.credits, change.debits]} 应为 {pair}"
            )
    for k, pair in daily.items():
        if any(pair):
            report.problems.append(f"功能区 {k[0]} 污染物 {k[1]} {k[2]} 缺少日变动行")

    origin_sums = {
        k: v
        for k, v in TransferOrigin.objects.values("transfer_id")
        .annotate(s=Sum("amount_grams"))
        .values_list("transfer_id", "s")
    }
    for transfer_id, amount in Transfer.objects.filter(~Q(phase=Phase.VOID_PENDING)).values_list(
        "pk", "amount_grams"
    ):
        if origin_sums.get(transfer_id, 0) != amount:
            report.problems.append(
                f"划转 {transfer_id} 的来源合计 {origin_sums.get(transfer_id, 0)} 与数量 {amount} 不符"
            )

    _check_phases(report)

    if check_audit:
        chain = verify_chain()
        report.audit_events = chain.checked
        report.problems.extend(chain.problems())
    report.problem_total = len(report.problems)
    if len(report.problems) > limit:
        more = len(report.problems) - limit
        report.problems = [*report.problems[:limit], f"……另有 {more} 处不符"]
    return report
