"""指标台账: the quota ledger every gram of the reserve moves through.

Shape (after TigerBeetle): accounts hold integer grams per year; a posting is one business
operation made of transfers, each moving an amount from a debit account to a credit account of the
same pollutant. Transfers are immutable (database triggers refuse UPDATE and DELETE); mistakes are
corrected by reversing transfers. Pending transfers hold quota while a decision is open; posting or
voiding a hold is a new transfer that references it, at most once (a UNIQUE constraint).

Balances are kept per account and per zone x pollutant (lots only) in rows updated in the same
transaction as the transfers, under row locks; a CHECK keeps reserve lots and allocations from
going below zero. Every transfer also records where its grams came from (:class:`TransferOrigin`),
so an allocation can be traced back to the lots and reduction lines behind every gram, and a
reduction line forward to every allocation it fed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import DetailPage, not_negative, optional_link, required_link


def _link_to_self(field: type[models.ForeignKey], related_name: str, verbose_name: Any) -> Any:
    """An optional, protected link from a row to another row of its own table (a hold's
    resolution, a correction's original)."""
    return field(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class AccountKind(models.TextChoices):
    LOT = "lot", _("储备批次")
    ALLOCATION = "allocation", _("建设项目指标")
    REDUCTION_SOURCE = "reduction_source", _("减排来源")
    UPPER_LEVEL = "upper_level", _("上级储备库")
    OPENING = "opening", _("期初储备")


# Accounts that hold quota and can never go below zero; the others are the outside world's side of
# intake, upper-level grants and opening balances, and run negative by construction.
FLOOR_ZERO_KINDS = frozenset({AccountKind.LOT, AccountKind.ALLOCATION})
EXTERNAL_KINDS = frozenset({AccountKind.REDUCTION_SOURCE, AccountKind.UPPER_LEVEL, AccountKind.OPENING})


class SourceType(models.TextChoices):
    """Where a lot's quota came from (来源)."""

    REDUCTION_LINE = "reduction_line", _("减排项目")
    RECOVERY = "recovery", _("指标收回")
    UPPER_GRANT = "upper_grant", _("上级储备库下达")
    ZONE_TRANSFER = "zone_transfer", _("功能区间调剂")
    OPENING = "opening", _("期初储备")


class TransferCode(models.TextChoices):
    INTAKE = "intake", _("入库")
    ALLOCATION = "allocation", _("分配")
    RECOVERY = "recovery", _("收回")
    UPPER_GRANT = "upper_grant", _("上级下达")
    UPPER_DEDUCTION = "upper_deduction", _("上级使用扣减")
    ZONE_TRANSFER = "zone_transfer", _("功能区间调剂")
    CORRECTION = "correction", _("更正")
    OPENING = "opening", _("期初")


class Phase(models.TextChoices):
    POSTED = "posted", _("已记账")
    PENDING = "pending", _("预留")
    POST_PENDING = "post_pending", _("预留转记账")
    VOID_PENDING = "void_pending", _("预留释放")


class Account(DetailPage):
    """指标账户: quota of one pollutant in one zone, of one kind, for one holder.

    A reserve lot (储备批次) remembers its source (a reduction line, a recovery, an upper-level
    grant, a zone transfer or the opening reserve); an allocation (建设项目指标) belongs to the
    enterprise that holds it. Lots are drawn oldest first, by (``opened_on``, ``id``).
    """

    code = models.CharField(_("编号"), max_length=48, unique=True)
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    kind = models.CharField(_("类别"), max_length=20, choices=AccountKind.choices)
    holder_enterprise = optional_link("registry.Enterprise", _("持有单位"), related_name="quota_accounts")
    source_type = models.CharField(_("来源类型"), max_length=20, choices=SourceType.choices, blank=True)
    source_ref = models.CharField(_("来源对象"), max_length=100, blank=True, db_index=True)
    source_label = models.CharField(_("来源说明"), max_length=300, blank=True)
    label = models.CharField(_("名称"), max_length=200, blank=True)
    opened_on = models.DateField(_("开立日期"))
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_fields = {"zone": "zone_id", "enterprise": "holder_enterprise_id"}

    detail_view = "ledger:account_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("指标账户")
        ordering = ["zone__sort_order", "pollutant__sort_order", "opened_on", "id"]
        indexes = [
            models.Index(
                fields=["zone", "pollutant", "kind", "opened_on", "id"], name="ledger_acct_draw_order"
            ),
            models.Index(fields=["source_type", "source_ref"], name="ledger_acct_source"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="allocation") | Q(holder_enterprise__isnull=False),
                name="ledger_allocation_has_holder",
            ),
            models.CheckConstraint(
                condition=~Q(kind="lot") | ~Q(source_type=""), name="ledger_lot_has_source"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def floor_zero(self) -> bool:
        return self.kind in FLOOR_ZERO_KINDS


class RunningTotals(models.Model):
    """The four running totals a balance row keeps, written with every transfer under a row lock.

    Posted balance = credits_posted - debits_posted; available = posted - debits_pending (quota
    held by open holds going out is not available)."""

    debits_posted = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    debits_pending = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def posted(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending


class Balance(RunningTotals):
    """账户余额: running totals of one account, updated with every transfer under a row lock.

    Posted balance = credits_posted - debits_posted; available = posted - debits_pending. The
    CHECK is the database's own guarantee that a lot or an allocation is never overdrawn, whatever
    code writes the row.
    """

    account = models.OneToOneField(
        Account, on_delete=models.PROTECT, primary_key=True, related_name="balance"
    )
    floor_zero = models.BooleanField()
    # For lots only: where the lot sits in the drawing order (copied from the account), so that
    # "the oldest lots of this zone and pollutant that still have quota" is one index range scan
    # over a partial index of lots with something available, however many lots are used up.
    lot_zone = optional_link("registry.Zone", related_name="+")
    lot_pollutant = optional_link("registry.Pollutant", related_name="+")
    lot_opened_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("账户余额")
        indexes = [
            models.Index(
                fields=["lot_zone", "lot_pollutant", "lot_opened_on", "account"],
                condition=Q(lot_zone__isnull=False)
                & Q(credits_posted__gt=F("debits_posted") + F("debits_pending")),
                name="ledger_lot_draw_order",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_zero=False)
                | Q(credits_posted__gte=F("debits_posted") + F("debits_pending")),
                name="ledger_balance_never_below_zero",
            ),
            models.CheckConstraint(
                condition=not_negative(
                    "debits_posted", "credits_posted", "debits_pending", "credits_pending"
                ),
                name="ledger_balance_totals_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.posted}"


class ZoneBalance(RunningTotals):
    """功能区储备余额: the sum of a zone's lots for one pollutant, kept with every transfer.

    Writers lock this row first (before any account row), so draws from one zone and pollutant are
    serialised and pick lots consistently.
    """

    zone = required_link("registry.Zone", related_name="+")
    pollutant = required_link("registry.Pollutant", related_name="+")

    scope_fields = {"zone": "zone_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("功能区储备余额")
        constraints = [
            models.UniqueConstraint(fields=["zone", "pollutant"], name="ledger_zone_balance_unique"),
            models.CheckConstraint(
                condition=Q(credits_posted__gte=F("debits_posted") + F("debits_pending")),
                name="ledger_zone_balance_never_below_zero",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id}/{self.pollutant_id}: {self.posted}"


class ZoneDailyChange(models.Model):
    """Posted change of a zone's lots for one pollutant on one effective date.

    Balances as of a past date are sums of these (one row per zone, pollutant and day with
    postings), so a zone's history over ten years is a few thousand rows, not every transfer.
    Derived data: written with the transfers and checked by ``ledger_reconcile``.
    """

    zone = required_link("registry.Zone", related_name="+")
    pollutant = required_link("registry.Pollutant", related_name="+")
    day = models.DateField()
    credits = models.BigIntegerField(default=0)
    debits = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("储备日变动")
        constraints = [
            models.UniqueConstraint(fields=["zone", "pollutant", "day"], name="ledger_zone_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id}/{self.pollutant_id} {self.day}: +{self.credits} -{self.debits}"


class Posting(DetailPage):
    """记账批次: one business operation (an intake, a draw, a hold's posting, a correction…).

    Its idempotency key is unique: repeating an operation with the same key and the same content
    returns this posting; with other content it is refused. Append-only.
    """

    operation = models.CharField(_("操作"), max_length=20)
    code = models.CharField(_("业务类型"), max_length=20, choices=TransferCode.choices)
    effective_date = models.DateField(_("生效日期"))
    actor = optional_link(settings.AUTH_USER_MODEL, _("经办人"), related_name="+")
    reason = models.CharField(_("事由"), max_length=500)
    clause_id = models.CharField(_("条款"), max_length=16)
    object_type = models.CharField(_("业务对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("业务对象编号"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64)
    hold = _link_to_self(models.ForeignKey, "resolutions", _("所处理的预留"))
    reverses = _link_to_self(models.OneToOneField, "reversed_by", _("所更正的批次"))
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    # Seen by everyone who may see one of its accounts (querysets need .distinct()).
    scope_fields = {
        "zone": ("transfers__debit__zone_id", "transfers__credit__zone_id"),
        "enterprise": ("transfers__debit__holder_enterprise_id", "transfers__credit__holder_enterprise_id"),
    }

    detail_view = "ledger:posting_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("记账批次")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="ledger_posting_object")]

    def __str__(self) -> str:
        return f"P{self.pk} {self.operation} {self.code}"


class Transfer(models.Model):
    """指标划转: an immutable movement of ``amount_grams`` from ``debit`` to ``credit``.

    ``phase`` says what it does to balances: ``posted`` moves quota; ``pending`` holds it;
    ``post_pending`` posts (all or part of) the hold it references and releases the rest;
    ``void_pending`` releases the hold it references (voided or expired). ``pending_ref`` is UNIQUE,
    so a hold resolves exactly once. ``reverses`` links a correction to the transfer it undoes.
    ``debit_lot_zone``/``credit_lot_zone`` repeat the zone when that side is a lot, for zone sums.
    """

    posting = required_link(Posting, related_name="transfers")
    debit = required_link(Account, _("转出账户"), related_name="debits")
    credit = required_link(Account, _("转入账户"), related_name="credits")
    pollutant = required_link("registry.Pollutant", related_name="+")
    amount_grams = models.BigIntegerField(_("数量（克/年）"))
    code = models.CharField(_("业务类型"), max_length=20, choices=TransferCode.choices)
    phase = models.CharField(_("状态"), max_length=16, choices=Phase.choices, default=Phase.POSTED)
    effective_date = models.DateField(_("生效日期"))
    pending_ref = _link_to_self(models.OneToOneField, "resolution", _("所处理的预留"))
    timeout_at = models.DateTimeField(_("预留到期"), null=True, blank=True)
    reverses = _link_to_self(models.OneToOneField, "reversed_by", _("所更正的划转"))
    debit_lot_zone = optional_link("registry.Zone", related_name="+")
    credit_lot_zone = optional_link("registry.Zone", related_name="+")
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    # A transfer between two zones is seen from both; an enterprise sees its own allocations' transfers.
    scope_fields = {
        "zone": ("debit__zone_id", "credit__zone_id"),
        "enterprise": ("debit__holder_enterprise_id", "credit__holder_enterprise_id"),
    }

    class Meta:
        verbose_name = verbose_name_plural = _("指标划转")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["debit", "effective_date"], name="ledger_tr_debit_date"),
            models.Index(fields=["credit", "effective_date"], name="ledger_tr_credit_date"),
            models.Index(fields=["phase", "timeout_at"], name="ledger_tr_phase_timeout"),
            # Sums over a period (a dashboard's quarters, a warning's year): by date, and by
            # pollutant and date.
            models.Index(fields=["effective_date"], name="ledger_tr_effective_date"),
            models.Index(fields=["pollutant", "effective_date"], name="ledger_tr_pollutant_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_grams__gt=0), name="ledger_transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(debit=F("credit")), name="ledger_transfer_two_accounts"),
            models.CheckConstraint(
                condition=Q(phase__in=["post_pending", "void_pending"], pending_ref__isnull=False)
                | Q(phase__in=["posted", "pending"], pending_ref__isnull=True),
                name="ledger_transfer_resolution_has_hold",
            ),
        ]

    def __str__(self) -> str:
        return f"T{self.pk} {self.debit_id}->{self.credit_id} {self.amount_grams}g {self.phase}"

    @property
    def moves_posted(self) -> bool:
        return self.phase in (Phase.POSTED, Phase.POST_PENDING)


class TransferOrigin(models.Model):
    """划转来源: which grams a transfer carried, by where they were first banked.

    ``root_lot`` is the lot that first took the grams in from outside the park's reserve (an intake,
    an upper-level grant, the opening reserve); ``source_type``/``source_ref`` are that lot's source
    (e.g. the reduction line). ``via`` is the lot the grams were last drawn from (kept when they
    move on from an allocation, e.g. on recovery). The rows of a transfer sum to its amount.
    """

    transfer = required_link(Transfer, related_name="origins")
    via = optional_link(Account, related_name="+")
    root_lot = required_link(Account, related_name="+")
    source_type = models.CharField(max_length=20, choices=SourceType.choices)
    source_ref = models.CharField(max_length=100)
    amount_grams = models.BigIntegerField()

    class Meta:
        verbose_name = _("划转来源")
        indexes = [models.Index(fields=["source_type", "source_ref"], name="ledger_origin_source")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_grams__gt=0), name="ledger_origin_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.amount_grams}g from {self.source_type}:{self.source_ref}"


class ReconcileTrigger(models.TextChoices):
    """Who started a reconcile run."""

    PERSON = "person", _("人员发起")
    SCHEDULED = "scheduled", _("每日定时")
    COMMAND = "command", _("运维命令")


class ReconcileRun(DetailPage):
    """台账对账记录: one run of :func:`totalquota.ledger.reconcile.reconcile`, which recomputes every
    balance, zone row, daily change and origin from the transfers, checks every transfer phase,
    debits = credits and the audit chain.

    The row is written when the run starts (``ok`` empty: running) and completed when it ends:
    ``ok`` says whether everything agreed, the counts say how much was checked and ``problems``
    lists each discrepancy found (the first 50, then how many more); a run that could not finish
    is not ``ok`` and keeps in ``error`` what stopped it. ``trigger`` says whether a person (``triggered_by``, by a page or
    through the API), the daily schedule or the ``ledger_reconcile`` command started it. Nothing
    else writes these rows: they are the history of the ledger's health that the bureau reads.
    """

    trigger = models.CharField(_("发起方式"), max_length=16, choices=ReconcileTrigger.choices)
    triggered_by = optional_link(settings.AUTH_USER_MODEL, _("发起人"), related_name="+")
    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ok = models.BooleanField(_("对账通过"), null=True, blank=True)
    accounts_checked = models.PositiveIntegerField(_("核对账户数"), default=0)
    transfers_checked = models.PositiveIntegerField(_("核对划转数"), default=0)
    audit_events_checked = models.PositiveIntegerField(_("核对审计事件数"), default=0)
    debits_posted = models.BigIntegerField(_("借方合计（克）"), default=0)
    credits_posted = models.BigIntegerField(_("贷方合计（克）"), default=0)
    # phase -> [transfers, grams]
    phases = models.JSONField(_("按状态统计"), default=dict, blank=True)
    problem_count = models.PositiveIntegerField(_("不符处数"), default=0)
    problems = models.JSONField(_("不符明细"), default=list, blank=True)
    error = models.TextField(_("运行错误"), blank=True)

    detail_view = "ledger:reconcile_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("台账对账记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"R{self.pk}"

    @property
    def status_label(self) -> Any:
        if self.ok is None:
            return _("运行中")
        return _("对账通过") if self.ok else _("对账未通过")
