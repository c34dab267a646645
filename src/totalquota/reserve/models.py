"""储备库业务: intake runs, quota applications, upper-level requests, recovery and the data they use.

The quota itself lives in the ledger (``totalquota.ledger``): lots, holds, allocations. These
models are the business records around it: what was decided, by whom, on which rule values, and
which ledger postings carried it out.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from totalquota.common.models import DetailPage, not_negative, optional_link, required_link
from totalquota.lib.units import format_quantity
from totalquota.workflow.models import Transition

USER = settings.AUTH_USER_MODEL


class Route(models.TextChoices):
    FILING = "filing", _("备案")
    REVIEW = "review", _("审核")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    PROPOSED = "proposed", _("已拟定审核意见")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不予批准")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.PROPOSED)


class QuotaApplication(DetailPage):
    """总量指标申请: a construction project's application for quota (RES-2, ANNEX-1).

    Its lines hold, per pollutant, the project's and the whole plant's permitted quantities
    (接管量 and 外排环境量) and the whole plant's new yearly discharge to the environment. While it
    is open, the deduction of each line is held in the ledger; approval posts the holds into the
    enterprise's allocation accounts; rejection or withdrawal releases them.
    """

    code = models.CharField(_("申请编号"), max_length=24, unique=True)
    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="quota_applications")
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    project_name = models.CharField(_("建设项目名称"), max_length=200)
    location = models.CharField(_("建设地点"), max_length=300)
    eia_reference = models.CharField(_("环评文件（文号）"), max_length=200)
    description = models.TextField(_("项目概况"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    route = models.CharField(_("办理方式"), max_length=8, choices=Route.choices, blank=True)
    created_by = required_link(USER, _("填报人"), related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_by = optional_link(USER, _("提交人"), related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    proposed_by = optional_link(USER, _("拟办人"), related_name="+")
    proposal = models.TextField(_("拟办意见"), blank=True)
    decided_by = optional_link(USER, _("批准人"), related_name="+")
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定意见"), blank=True)
    decision_snapshot = models.JSONField(_("决定所用参数"), default=dict, blank=True)
    operation_started_on = models.DateField(_("正式投运日期"), null=True, blank=True)

    scope_fields = {"zone": "zone_id", "enterprise": "enterprise_id"}

    detail_view = "reserve:application_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("总量指标申请")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.project_name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ApplicationLine(models.Model):
    """申请明细: one pollutant of an application, the deduction it needs and its hold."""

    application = required_link(QuotaApplication, related_name="lines")
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    project_sewer_grams = models.BigIntegerField(_("本项目许可量（接管量）"), default=0)
    project_env_grams = models.BigIntegerField(_("本项目许可量（外排环境量）"))
    plant_sewer_grams = models.BigIntegerField(_("全厂许可量（接管量）"), default=0)
    plant_env_grams = models.BigIntegerField(_("全厂许可量（外排环境量）"))
    new_discharge_grams = models.BigIntegerField(_("全厂新增外排环境量"))
    route = models.CharField(_("办理方式"), max_length=8, choices=Route.choices, blank=True)
    route_reason = models.CharField(_("办理方式依据"), max_length=300, blank=True)
    ratio_num = models.PositiveIntegerField(_("平衡比例（分子）"), default=1)
    ratio_den = models.PositiveIntegerField(_("平衡比例（分母）"), default=1)
    deduction_grams = models.BigIntegerField(_("应削减替代量"), default=0)
    computation = models.TextField(_("计算过程"), blank=True)
    rule_snapshot = models.JSONField(_("所用参数"), default=dict, blank=True)
    allocation = optional_link("ledger.Account", _("指标账户"), related_name="+")
    hold = optional_link("ledger.Posting", _("当前预留"), related_name="+")
    posting = optional_link("ledger.Posting", _("记账批次"), related_name="+")
    permitted_env_grams = models.BigIntegerField(_("现许可量（外排环境量）"), null=True, blank=True)

    scope_fields = {"zone": "application__zone_id", "enterprise": "application__enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("申请明细")
        ordering = ["application", "pollutant__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "pollutant"], name="reserve_line_one_per_pollutant"
            ),
            models.CheckConstraint(
                condition=not_negative(
                    "project_env_grams",
                    "plant_env_grams",
                    "new_discharge_grams",
                    "project_sewer_grams",
                    "plant_sewer_grams",
                    "deduction_grams",
                ),
                name="reserve_line_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.pollutant_id}"


class DocumentKind(models.TextChoices):
    """申请材料类型: what the bureau reviews on the review route (RES-2), and anything else."""

    BASIS = "basis", _("依据")
    BALANCE_PLAN = "balance_plan", _("总量平衡方案")
    OTHER = "other", _("其他")


# The documents an application routed to review cannot be submitted without (RES-2).
REVIEW_DOCUMENTS = (DocumentKind.BASIS, DocumentKind.BALANCE_PLAN)

DOCUMENT_FOLDER = "reserve/documents"


def document_path(instance: ApplicationDocument, filename: str) -> str:
    # Stored under the digest, not the uploaded name: names are untrusted and may collide.
    return f"{DOCUMENT_FOLDER}/{instance.sha256[:2]}/{instance.sha256}"


class ApplicationDocument(DetailPage):
    """申请材料: a document of a quota application (its basis 依据, its balance plan 总量平衡方案 or
    another), typed, checked by content and hashed; read by the reviewers beside the decision.

    ``content_type`` is what the bytes are (magic numbers), not what the name or the browser said.
    The file has no URL of its own: it is sent only by the download view, to people who may see
    the application.
    """

    application = required_link(QuotaApplication, _("总量指标申请"), related_name="documents")
    kind = models.CharField(_("材料类型"), max_length=16, choices=DocumentKind.choices)
    file = models.FileField(_("文件"), upload_to=document_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    size_bytes = models.BigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=100)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = required_link(USER, _("上传人"), related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_fields = {"zone": "application__zone_id", "enterprise": "application__enterprise_id"}

    detail_view = "reserve:document_download"

    class Meta:
        verbose_name = verbose_name_plural = _("申请材料")
        ordering = ["application", "kind", "uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "sha256"], name="reserve_document_once_per_application"
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class ApplicationTransition(Transition):
    """申请流转记录: one change of an application's status (append-only).

    The shared transition row (``workflow.models.Transition``); ``actor`` stays nullable here
    because rows written before the person was recorded may have none.
    """

    application = required_link(QuotaApplication, related_name="transitions")
    actor = optional_link(USER, _("操作人"), related_name="+")

    class Meta(Transition.Meta):
        verbose_name = _("申请流转记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} -> {self.to_status}"


class ExclusionReason(models.TextChoices):
    """RES-1 reasons a reduction does not enter the reserve."""

    BINDING_TASK = "1", _("（1）用于完成约束性减排任务")
    OFFSET = "2", _("（2）用于“以新带老”")
    SOLD = "3", _("（3）已出让排污权")
    OTHER = "4", _("（4）其他不符合入库条件")


class IntakeStatus(models.TextChoices):
    PREPARED = "prepared", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("已作废")


class IntakeRun(DetailPage):
    """入库批次: one quarterly intake of approved reductions into the zones' reserves (RES-1).

    Prepared by one administrator, confirmed by another person (four eyes, RES-1 Decision); a
    quarter has one run unless the earlier one was cancelled (作废).
    """

    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    period_start = models.DateField(_("入库项目审核日期自"))
    period_end = models.DateField(_("至"))
    effective_date = models.DateField(_("入库日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=IntakeStatus.choices, default=IntakeStatus.PREPARED
    )
    created_by = required_link(USER, _("编制人"), related_name="+")
    created_at = models.DateTimeField(_("编制时间"), auto_now_add=True)
    confirmed_by = optional_link(USER, _("确认人"), related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    detail_view = "reserve:intake_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("入库批次")
        ordering = ["-year", "-quarter", "-id"]
        constraints = [
            # Two administrators preparing the same quarter at once: the database keeps one run
            # that is not cancelled (the service's own check cannot see an uncommitted twin).
            models.UniqueConstraint(
                fields=["year", "quarter"],
                condition=~models.Q(status="cancelled"),
                name="reserve_one_intake_per_quarter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} 年第 {self.quarter} 季度入库"


class IntakeTransition(Transition):
    """入库批次流转记录: one change of an intake run's status (prepared, confirmed, cancelled)."""

    run = required_link(IntakeRun, related_name="transitions")

    class Meta(Transition.Meta):
        verbose_name = _("入库批次流转记录")

    def __str__(self) -> str:
        return f"{self.run_id}: {self.from_status} -> {self.to_status}"


class IntakeItem(models.Model):
    """入库明细: one approved reduction line in an intake run, entered or excluded with its reason."""

    run = required_link(IntakeRun, related_name="items")
    line = required_link("reductions.ReductionLine", related_name="+")
    zone = required_link("registry.Zone", related_name="+")
    pollutant = required_link("registry.Pollutant", related_name="+")
    reduction_grams = models.BigIntegerField(_("核定减排量"))
    excluded_grams = models.BigIntegerField(_("不予入库量"), default=0)
    intake_grams = models.BigIntegerField(_("入库量"), default=0)
    reasons = models.JSONField(_("不予入库情形"), default=list, blank=True)
    other_reason = models.CharField(_("其他原因说明"), max_length=300, blank=True)
    excluded_by = optional_link(USER, _("剔除人"), related_name="+")
    posting = optional_link("ledger.Posting", related_name="+")

    scope_fields = {"zone": "zone_id"}

    class Meta:
        verbose_name = _("入库明细")
        ordering = ["zone__sort_order", "pollutant__sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "line"], name="reserve_intake_item_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.line_id}"

    @property
    def reason_rows(self) -> list[dict]:
        """The stored reasons with each label in the page's language (the stored label is Chinese)."""
        return [{**r, "label": ExclusionReason(r["code"]).label} for r in self.reasons]


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    GRANTED = "granted", _("已下达")
    REFUSED = "refused", _("未获支持")


class UpperLevelRequest(models.Model):
    """上级储备库申请: quota asked of the city/province reserve when the park cannot cover (RES-2)."""

    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    amount_grams = models.BigIntegerField(_("申请量"))
    reason = models.TextField(_("理由"))
    application = optional_link(QuotaApplication, _("对应申请"), related_name="upper_requests")
    status = models.CharField(
        _("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    requested_by = required_link(USER, _("申请人"), related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    granted_grams = models.BigIntegerField(_("下达量"), null=True, blank=True)
    reference = models.CharField(_("下达文件"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    posting = optional_link("ledger.Posting", related_name="+")

    scope_fields = {"zone": "zone_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("上级储备库申请")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_grams__gt=0), name="reserve_upper_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.pollutant} {format_quantity(self.amount_grams, self.pollutant.unit, suffix=True)}"


class RecoveryKind(models.TextChoices):
    NOT_BUILT = "not_built", _("（1）项目不再建设")
    UNDERUSED = "underused", _("（2）投运满一年实际排放低于许可量 80%")
    OTHER = "other", _("（3）其他情形")


class RecoveryStatus(models.TextChoices):
    PROPOSED = "proposed", _("已拟定")
    NOTIFIED = "notified", _("已告知单位")
    APPROVED = "approved", _("已收回")
    REJECTED = "rejected", _("不予收回")


OPEN_RECOVERY = (RecoveryStatus.PROPOSED, RecoveryStatus.NOTIFIED)


class RecoveryCase(DetailPage):
    """指标收回: quota returned from an approved application line to the reserve (RES-4).

    One reviewer proposes the case (amount, reason, the verified figure); for cases other than
    (1) the unit is told the amount and may answer within the answer period; another reviewer
    decides it (four eyes). The ledger moves only on approval.
    """

    line = required_link(ApplicationLine, related_name="recoveries")
    kind = models.CharField(_("收回情形"), max_length=12, choices=RecoveryKind.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=RecoveryStatus.choices, default=RecoveryStatus.PROPOSED
    )
    verified = optional_link("emissions.VerifiedEmission", _("核实排放量"), related_name="+")
    suggested_surplus_grams = models.BigIntegerField(_("建议收回富余量"), null=True, blank=True)
    surplus_grams = models.BigIntegerField(_("确认富余量"))
    recovered_grams = models.BigIntegerField(_("收回入库量"))
    reason = models.TextField(_("理由"))
    rule_snapshot = models.JSONField(_("所用参数"), default=dict, blank=True)
    proposed_by = required_link(USER, _("拟办人"), related_name="+")
    proposed_at = models.DateTimeField(_("拟定时间"), auto_now_add=True)
    answer_due = models.DateField(_("答复截止日期"), null=True, blank=True)
    answer = models.TextField(_("单位答复"), blank=True)
    answer_file = models.FileField(_("答复附件"), upload_to="recovery/%Y/", blank=True)
    answered_by = optional_link(USER, _("答复人"), related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    decided_by = optional_link(USER, _("决定人"), related_name="+")
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定意见"), blank=True)
    posting = optional_link("ledger.Posting", related_name="+")

    scope_fields = {"zone": "line__application__zone_id", "enterprise": "line__application__enterprise_id"}

    detail_view = "reserve:recovery_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("指标收回")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        unit = self.line.pollutant.unit
        return f"{self.get_kind_display()} {format_quantity(self.recovered_grams, unit, suffix=True)}"

    @property
    def needs_notice(self) -> bool:
        """Whether the unit is told before the decision (every case but (1), RES-4 Decision)."""
        return self.kind != RecoveryKind.NOT_BUILT


class RecoveryTransition(Transition):
    """指标收回流转记录: one step of a recovery case (proposed, notified, answered, decided)."""

    case = required_link(RecoveryCase, related_name="transitions")

    class Meta(Transition.Meta):
        verbose_name = _("指标收回流转记录")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} -> {self.to_status}"


class UpperDeduction(models.Model):
    """上级使用扣减: a reduction also submitted upward and used there, deducted from the park (RES-2)."""

    line = required_link("reductions.ReductionLine", related_name="+")
    amount_grams = models.BigIntegerField(_("扣减量"))
    reason = models.TextField(_("理由"))
    decided_by = required_link(USER, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    posting = required_link("ledger.Posting", related_name="+")

    scope_fields = {"zone": "line__project__zone_id"}

    class Meta:
        verbose_name = _("上级使用扣减")
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.line} {format_quantity(self.amount_grams, self.line.pollutant.unit, suffix=True)}"


class AdjustmentKind(models.TextChoices):
    ZONE_TRANSFER = "zone_transfer", _("功能区间调剂")
    CORRECTION = "correction", _("更正")
    UPPER_DEDUCTION = "upper_deduction", _("上级使用扣减")


class AdjustmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class QuotaAdjustment(DetailPage):
    """储备调整: a move of quota the bureau decides outside an application — a zone transfer
    (功能区间调剂, RES-2), a correction that reverses a posting (更正) or a deduction for a reduction
    used by the upper level (上级使用扣减, RES-2).

    One administrator proposes it with a reason; nothing is posted until another person of the
    bureau confirms it (four eyes), and the confirmation writes the one posting (``posting``).
    """

    kind = models.CharField(_("类型"), max_length=16, choices=AdjustmentKind.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PROPOSED
    )
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    from_lot = optional_link("ledger.Account", _("调出批次"), related_name="+")
    to_zone = optional_link("registry.Zone", _("调入功能区"), related_name="+")
    target = optional_link("ledger.Posting", _("被更正的记账批次"), related_name="+")
    line = optional_link("reductions.ReductionLine", _("减排量"), related_name="+")
    amount_grams = models.BigIntegerField(_("数量"))
    effective_date = models.DateField(_("生效日期"))
    reason = models.TextField(_("事由"))
    proposed_by = required_link(USER, _("拟定人"), related_name="+")
    proposed_at = models.DateTimeField(_("拟定时间"), auto_now_add=True)
    decided_by = optional_link(USER, _("确认人"), related_name="+")
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    posting = optional_link("ledger.Posting", _("记账批次"), related_name="+")

    # Both zones see it: the one quota leaves and the one it enters (or leaves, for a correction
    # of a zone transfer).
    scope_fields = {"zone": ("zone_id", "to_zone_id")}
    detail_view = "reserve:adjustment_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("储备调整")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_grams__gt=0), name="reserve_adjustment_amount_positive"
            ),
            # Two administrators proposing to correct the same posting at once: one stays open.
            models.UniqueConstraint(
                fields=["target"],
                condition=Q(status="proposed"),
                name="reserve_one_open_correction_per_posting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} A{self.pk}"


class AdjustmentTransition(Transition):
    """储备调整流转记录: one change of an adjustment's status (proposed, confirmed, rejected, withdrawn)."""

    adjustment = required_link(QuotaAdjustment, related_name="transitions")

    class Meta(Transition.Meta):
        verbose_name = _("储备调整流转记录")

    def __str__(self) -> str:
        return f"{self.adjustment_id}: {self.from_status} -> {self.to_status}"


class WarningLevel(models.TextChoices):
    NORMAL = "normal", _("正常")
    ATTENTION = "attention", _("关注")
    WARNING = "warning", _("预警")


class WarningState(models.Model):
    """储备预警状态: the warning level of a zone's reserve of one pollutant as the daily check last
    found it (RES-3), so that only a rise to attention or warning is announced, once."""

    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    level = models.CharField(
        _("级别"), max_length=12, choices=WarningLevel.choices, default=WarningLevel.NORMAL
    )
    checked_on = models.DateField(pgettext_lazy("warning check", "检查日期"))
    changed_on = models.DateField(_("级别变化日期"))

    scope_fields = {"zone": "zone_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("储备预警状态")
        constraints = [
            models.UniqueConstraint(fields=["zone", "pollutant"], name="reserve_warning_state_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id}/{self.pollutant_id}: {self.level}"
