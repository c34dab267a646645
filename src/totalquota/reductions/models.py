"""减排库: reduction projects, their accounted reductions per pollutant, evidence, review history,
usage marks, declaration rounds and the accounting factors the methods use (RED-1 … RED-5)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import DetailPage, optional_link, required_link
from totalquota.registry.models import Enterprise, Pollutant, Zone
from totalquota.workflow.models import Transition


class ProjectType(models.TextChoices):
    """减排工程类型 (RED-1)."""

    STRUCTURAL = "structural", _("产业结构升级类")
    PROCESS = "process", _("工艺改进类")
    DEEP_TREATMENT = "deep_treatment", _("深度治理类")
    OTHER = "other", _("其他类")


class Subtype(models.TextChoices):
    """The kind of measure within a type (RED-1's examples)."""

    UNIT_CLOSURE = "unit_closure", _("排污单位关闭")
    LINE_SHUTDOWN = "line_shutdown", _("生产线（工序）关停")
    MATERIAL_SUBSTITUTION = "material_substitution", _("清洁原料替代")
    ENERGY_SUBSTITUTION = "energy_substitution", _("清洁能源替代")
    CAPTURE_UPGRADE = "capture_upgrade", _("收集方式提升")
    TREATMENT_UPGRADE = "treatment_upgrade", _("治理工艺提升")
    NEW_TREATMENT = "new_treatment", _("新建治理设施")
    WASTEWATER_UPGRADE = "wastewater_upgrade", _("污水深度处理")
    RESTAURANT_CLOSURE = "restaurant_closure", _("规模餐饮关闭")
    VEHICLE_SCRAPPING = "vehicle_scrapping", _("老旧机动车淘汰")
    VAPOUR_RECOVERY = "vapour_recovery", _("加油站油气回收")
    OTHER = "other", _("其他")


SUBTYPES: dict[str, tuple[str, ...]] = {
    ProjectType.STRUCTURAL: (Subtype.UNIT_CLOSURE, Subtype.LINE_SHUTDOWN),
    ProjectType.PROCESS: (Subtype.MATERIAL_SUBSTITUTION, Subtype.ENERGY_SUBSTITUTION),
    ProjectType.DEEP_TREATMENT: (
        Subtype.CAPTURE_UPGRADE,
        Subtype.TREATMENT_UPGRADE,
        Subtype.NEW_TREATMENT,
        Subtype.WASTEWATER_UPGRADE,
    ),
    ProjectType.OTHER: (
        Subtype.RESTAURANT_CLOSURE,
        Subtype.VEHICLE_SCRAPPING,
        Subtype.VAPOUR_RECOVERY,
        Subtype.OTHER,
    ),
}


class OperatingStatus(models.TextChoices):
    """减排运行情况."""

    OPERATING = "operating", _("正常运行")
    TRIAL = "trial", _("试运行")
    SHUT_DOWN = "shut_down", _("已关停")
    DISMANTLED = "dismantled", _("已拆除")
    SUSPENDED = "suspended", _("停运")


class ProjectStatus(models.TextChoices):
    """Where a project stands in declaration and review (RED-3, RED-4)."""

    SUGGESTED = "suggested", _("建议项目")
    DECLINED = "declined", _("未采纳")
    DRAFT = "draft", _("草稿")
    ZONE_PENDING = "zone_pending", _("待功能区报送")
    SUBMITTED = "submitted", _("待审核")
    PRECHECKED = "prechecked", _("已预审")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("已入库")
    REJECTED = "rejected", _("未通过")


# States in which preparers may still change the project; everything after is frozen.
EDITABLE = frozenset({ProjectStatus.DRAFT, ProjectStatus.ZONE_PENDING, ProjectStatus.RETURNED})
# States that still owe a declaration (counted for overdue lists).
UNDECLARED = frozenset({ProjectStatus.DRAFT, ProjectStatus.ZONE_PENDING, ProjectStatus.RETURNED})
AWAITING_REVIEW = frozenset({ProjectStatus.SUBMITTED, ProjectStatus.PRECHECKED})


class Origin(models.TextChoices):
    ZONE = "zone", _("功能区填报")
    ENTERPRISE = "enterprise", _("企业填报")
    SUGGESTION = "suggestion", _("增补建议")
    IMPORT = "import", _("批量导入")


# The title a round gets when none is typed: stored in Chinese, shown in the page's language.
ROUND_TITLE = gettext_noop("{year} 年第 {quarter} 季度减排项目申报")


class DeclarationRound(models.Model):
    """申报轮次: a quarterly declaration round (RED-3): the days it is open for declaring
    (``opens_on`` … ``deadline``) and the completion period it is mainly for; the round that closes
    a year's projects ends by the rule's end-of-February date.

    A project belongs to the round open on the day it is declared (or, declared while none is open,
    to the next one); its completion date, not its round, says which year it counts toward.
    """

    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    title = models.CharField(_("名称"), max_length=100)
    opens_on = models.DateField(_("开始日期"))
    deadline = models.DateField(_("申报截止日期"))
    covers_from = models.DateField(_("覆盖竣工日期自"))
    covers_to = models.DateField(_("覆盖竣工日期至"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    rule_snapshot = models.JSONField(_("所用规则参数"), default=dict, blank=True)
    created_by = required_link(settings.AUTH_USER_MODEL, _("创建人"), related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("申报轮次")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["year", "quarter"], name="declaration_round_once_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="round_quarter_1_to_4"),
            models.CheckConstraint(
                condition=Q(deadline__gte=F("opens_on")), name="round_deadline_after_open"
            ),
            models.CheckConstraint(condition=Q(covers_to__gte=F("covers_from")), name="round_covers_ordered"),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title; the default one (:data:`ROUND_TITLE`) in the page's language."""
        if self.title == ROUND_TITLE.format(year=self.year, quarter=self.quarter):
            return gettext(ROUND_TITLE).format(year=self.year, quarter=self.quarter)
        return self.title


class FactorKind(models.TextChoices):
    EMISSION = "emission", _("排放系数")
    EFFICIENCY = "efficiency", _("效率")


class AccountingFactorQuerySet(models.QuerySet):
    def in_force(self, day: dt.date) -> AccountingFactorQuerySet:
        """Factors that may be chosen on ``day``: started on or before it, not yet retired."""
        return self.filter(effective_from__lte=day).exclude(effective_to__lte=day)


class AccountingFactor(DetailPage):
    """核算系数: an emission factor or efficiency with its exact value, unit and source document.

    ``value`` is an exact decimal ("1320") or a rational ("p/q") when a published value was
    converted between unit systems; lines store a snapshot of the factor they used, so changing or
    retiring a factor never changes an accounted reduction.
    """

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类别"), max_length=16, choices=FactorKind.choices, default=FactorKind.EMISSION)
    pollutant = optional_link(Pollutant, _("污染物"))
    value = models.CharField(_("取值"), max_length=64)
    unit = models.CharField(_("单位"), max_length=16)
    source = models.CharField(_("来源文件或标准"), max_length=300)
    source_detail = models.CharField(_("原文取值及出处"), max_length=300, blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = AccountingFactorQuerySet.as_manager()

    detail_view = "reductions:factor_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("核算系数")
        ordering = ["pollutant__sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def in_force_on(self, day: dt.date) -> bool:
        """The same test as :meth:`AccountingFactorQuerySet.in_force`, for one loaded factor."""
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


class ReductionProject(DetailPage):
    """减排项目: one reduction project with every RED-3 field, its workflow status and scope.

    ``year`` (计入年度) is the completion year: which year's reductions the project counts toward
    (RED-3). ``declared_on`` is the day it was declared (created, or adopted from a suggestion) and
    ``round`` the round open that day (or the next one); ``late_declaration`` (逾期申报) says it was
    declared after its year had closed (end of February of the following year, rule data), which the
    bureau may accept with a reason (``late_accepted_*``) before approving it.

    The enterprise is optional (a scrapped vehicle fleet has none). Status changes only through
    the services, each leaving a :class:`ProjectTransition`; ``preparers`` holds everyone who
    created, edited or submitted the project, none of whom may approve it (RED-4, four eyes).
    """

    code = models.CharField(_("项目编号"), max_length=20, unique=True, null=True, blank=True)
    name = models.CharField(_("项目名称"), max_length=200)
    address = models.CharField(_("项目地址"), max_length=300, blank=True)
    builder = models.CharField(_("建设单位"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    start_date = models.DateField(_("开工时间"), null=True, blank=True)
    completion_date = models.DateField(_("竣工时间"), null=True, blank=True)
    acceptance_date = models.DateField(_("验收时间"), null=True, blank=True)
    investment_yuan = models.BigIntegerField(_("资金投入（元）"), null=True, blank=True)
    project_type = models.CharField(_("减排工程类型"), max_length=16, choices=ProjectType.choices)
    subtype = models.CharField(_("具体类型"), max_length=32, choices=Subtype.choices)
    operating_status = models.CharField(
        _("减排运行情况"), max_length=16, choices=OperatingStatus.choices, blank=True
    )
    eia_approval_number = models.CharField(_("环评批复文号"), max_length=100, blank=True)
    permit_change = models.CharField(_("排污许可证变更情况"), max_length=300, blank=True)
    description = models.TextField(_("项目概况"), blank=True)
    zone = required_link(Zone, _("功能区"), related_name="+")
    enterprise = optional_link(Enterprise, _("排污单位"), related_name="reduction_projects")
    year = models.PositiveSmallIntegerField(_("减排年度"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT, db_index=True
    )
    origin = models.CharField(_("来源"), max_length=16, choices=Origin.choices, default=Origin.ZONE)
    suggestion_note = models.CharField(_("增补建议理由"), max_length=500, blank=True)
    round = optional_link(DeclarationRound, _("申报轮次"), related_name="projects")
    declared_on = models.DateField(_("申报日期"), null=True, blank=True)
    late_declaration = models.BooleanField(_("逾期申报"), default=False, db_index=True)
    late_accepted_at = models.DateTimeField(_("接受逾期申报时间"), null=True, blank=True)
    late_accepted_by = optional_link(settings.AUTH_USER_MODEL, _("接受逾期申报人"), related_name="+")
    late_accept_reason = models.CharField(_("接受逾期申报理由"), max_length=500, blank=True)
    created_by = required_link(settings.AUTH_USER_MODEL, _("创建人"), related_name="+")
    preparers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("编制与报送人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True, db_index=True)
    decided_by = optional_link(settings.AUTH_USER_MODEL, _("审核人"), related_name="+")

    scope_fields = {"zone": "zone_id", "enterprise": "enterprise_id"}

    detail_view = "reductions:project_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("减排项目")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["zone", "status"]), models.Index(fields=["status", "decided_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(completion_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(completion_date__gte=F("start_date")),
                name="reduction_completion_after_start",
            ),
            models.CheckConstraint(
                condition=Q(acceptance_date__isnull=True)
                | Q(completion_date__isnull=True)
                | Q(acceptance_date__gte=F("completion_date")),
                name="reduction_acceptance_after_completion",
            ),
            models.CheckConstraint(
                condition=Q(investment_yuan__isnull=True) | Q(investment_yuan__gte=0),
                name="reduction_investment_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code or '—'} {self.name}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def late_pending(self) -> bool:
        """A late declaration the bureau has not accepted yet (approval waits for it)."""
        return self.late_declaration and self.late_accepted_at is None


# What belongs to a project (its lines, evidence, history, opinions) is seen by whoever may see the
# project.
PROJECT_PART_SCOPE = {"zone": "project__zone_id", "enterprise": "project__enterprise_id"}


class ReductionLine(models.Model):
    """减排量明细: the accounted reduction of one pollutant of a project (RED-2, RED-3 (2)).

    ``inputs`` keeps the exact decimal strings entered and a snapshot of every factor used (id,
    value, unit, source); ``computation`` is the trace of the method. Amounts are grams per year,
    rounded down to the gram; the reduction never exceeds the baseline.
    """

    project = models.ForeignKey(
        ReductionProject, on_delete=models.CASCADE, related_name="lines", verbose_name=_("减排项目")
    )
    pollutant = required_link(Pollutant, _("污染物"), related_name="+")
    method = models.CharField(_("核算方法"), max_length=16)
    inputs = models.JSONField(_("核算参数"), default=dict)
    baseline_grams = models.BigIntegerField(_("基准排放量"))
    post_grams = models.BigIntegerField(_("项目后排放量"))
    reduction_grams = models.BigIntegerField(_("减排量"))
    computation = models.TextField(_("核算过程"))
    updated_by = required_link(settings.AUTH_USER_MODEL, _("填报人"), related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_fields = PROJECT_PART_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("减排量明细")
        ordering = ["project", "pollutant__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["project", "pollutant"], name="reduction_line_one_per_pollutant"),
            models.CheckConstraint(condition=Q(reduction_grams__gt=0), name="reduction_line_positive"),
            models.CheckConstraint(
                condition=Q(reduction_grams__lte=F("baseline_grams")), name="reduction_line_within_baseline"
            ),
            models.CheckConstraint(condition=Q(post_grams__gte=0), name="reduction_line_post_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.pollutant}"

    def get_absolute_url(self) -> str:
        return self.project.get_absolute_url() + f"#line-{self.pk}"


class EvidenceKind(models.TextChoices):
    """佐证材料类型 (RED-3 (3))."""

    ACCEPTANCE = "acceptance", _("竣工验收材料")
    INVESTMENT = "investment", _("投入资金证明")
    ACCOUNTING = "accounting", _("减排核算过程及依据")
    EIA = "eia", _("环评及审批文件")
    PERMIT = "permit", _("排污许可证及变更凭证")
    OTHER = "other", _("其他")


EVIDENCE_FOLDER = "reductions/evidence"


def evidence_path(instance: Evidence, filename: str) -> str:
    # Stored under the digest, not the uploaded name: names are untrusted and may collide.
    return f"{EVIDENCE_FOLDER}/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(DetailPage):
    """佐证材料: an uploaded document of a project, typed, checked by content and hashed.

    ``content_type`` is what the bytes are (magic numbers), not what the name or the browser said.
    One file may serve as several kinds of one project (an acceptance report that also proves the
    investment), once per kind.
    """

    project = models.ForeignKey(
        ReductionProject, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("减排项目")
    )
    kind = models.CharField(_("材料类型"), max_length=16, choices=EvidenceKind.choices)
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    size_bytes = models.BigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=100)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = required_link(settings.AUTH_USER_MODEL, _("上传人"), related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_fields = PROJECT_PART_SCOPE

    detail_view = "reductions:evidence_download"

    class Meta:
        verbose_name = verbose_name_plural = _("佐证材料")
        ordering = ["project", "kind", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "sha256"], name="evidence_file_once_per_kind"),
        ]

    def __str__(self) -> str:
        return self.original_name


class ProjectTransition(Transition):
    """流转记录: one change of a project's status, with who, when and why (append-only); the
    columns are the workflow kernel's (:class:`~totalquota.workflow.models.Transition`), the
    statuses narrowed to a project's."""

    project = required_link(ReductionProject, _("减排项目"), related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=16, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ProjectStatus.choices)
    action = models.CharField(_("操作"), max_length=16)
    role = models.CharField(_("角色"), max_length=16)

    scope_fields = PROJECT_PART_SCOPE

    class Meta(Transition.Meta):
        verbose_name = verbose_name_plural = _("流转记录")

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_status or '—'} → {self.to_status}"


class OpinionConclusion(models.TextChoices):
    AGREE = "agree", _("建议通过")
    REVISE = "revise", _("建议修改")
    DISAGREE = "disagree", _("建议不予入库")
    GUIDANCE = "guidance", _("填报指导")


class Opinion(models.Model):
    """第三方技术意见: a third party's pre-check or guidance on a project; it advises, never decides
    (append-only)."""

    project = required_link(ReductionProject, _("减排项目"), related_name="opinions")
    author = required_link(settings.AUTH_USER_MODEL, _("出具人"), related_name="+")
    organisation = models.CharField(_("机构"), max_length=100, blank=True)
    conclusion = models.CharField(_("结论"), max_length=16, choices=OpinionConclusion.choices)
    text = models.TextField(_("意见"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_fields = PROJECT_PART_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("第三方技术意见")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.get_conclusion_display()}"


class UsageKind(models.TextChoices):
    """What an approved reduction was already used for (RES-1 exclusions, upper level)."""

    BINDING_TASK = "binding_task", _("用于约束性减排任务")
    OFFSET = "offset", _("用于以新带老")
    SOLD = "sold", _("排污权出让")
    UPPER_RESERVE = "upper_reserve", _("报送上级储备库")


# Kinds that keep a reduction out of the park reserve (RES-1 (1)-(3)).
EXCLUDING_KINDS = (UsageKind.BINDING_TASK, UsageKind.OFFSET, UsageKind.SOLD)


class LineUsage(models.Model):
    """使用标记: part or all of an approved line used for a binding task, 以新带老, sold, or
    submitted to the upper-level reserve. A mark is never rewritten; it may be cancelled once,
    with a reason, so the use at any past date can be reproduced."""

    line = required_link(ReductionLine, _("减排量明细"), related_name="usages")
    kind = models.CharField(_("用途"), max_length=16, choices=UsageKind.choices)
    amount_grams = models.BigIntegerField(_("数量"))
    reference = models.CharField(_("依据文号"), max_length=200)
    used_on = models.DateField(_("使用日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    marked_by = required_link(settings.AUTH_USER_MODEL, _("标记人"), related_name="+")
    marked_at = models.DateTimeField(_("标记时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancelled_by = optional_link(settings.AUTH_USER_MODEL, _("撤销人"), related_name="+")
    cancel_reason = models.CharField(_("撤销理由"), max_length=300, blank=True)

    scope_fields = {"zone": "line__project__zone_id", "enterprise": "line__project__enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("使用标记")
        ordering = ["used_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_grams__gt=0), name="line_usage_positive"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="line_usage_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line} · {self.get_kind_display()}"
