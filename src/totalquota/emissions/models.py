"""总量库: the emission total library, the park's record of what each listed unit emits (TOT-1 … TOT-3).

Years. Everything here is keyed by the **emission year** (排放年度) a figure belongs to, except a
determination, which is keyed by the year its allowance applies to (核定年度, the year after the
emission year of the reports it reads). The management list of emission year Y is fixed by the end
of February of Y + 1 (TOT-1); its units report Y by the end of March of Y + 1 (TOT-2); the bureau
then determines their allowed emissions for Y + 1 (TOT-3).

Figures are integer grams per year. For water pollutants ``actual_grams`` and the figures compared,
determined and recovered are 外排环境量 (to the environment); 接管量 (to a sewage plant) is kept
beside them in ``sewer_grams`` and shown (domain §3).

Reports are versioned: each submission freezes a :class:`ReportVersion`; a returned report is
corrected in a new version; everything computed from a report (determinations, flags, recovery
candidates, bulletins) reads its **accepted** version only (``EmissionReport.accepted_version``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from totalquota.common.models import DetailPage, not_negative, optional_link, required_link
from totalquota.workflow.models import Transition

USER = settings.AUTH_USER_MODEL
UNIT_SCOPE = {"zone": "zone_id", "enterprise": "enterprise_id"}
REPORT_SCOPE = {"zone": "report__zone_id", "enterprise": "report__enterprise_id"}


# --- TOT-1: the management list ------------------------------------------------------------------
class ListEntry(models.Model):
    """重点排污单位名录条目 (TOT-1): a unit that must report its emissions of ``year``.

    A removed unit keeps its row (``listed`` false, with the reason); every change is a
    :class:`ListChange`. ``zone`` is the unit's zone when it was listed, so the list does not move
    when a unit later moves.
    """

    year = models.PositiveSmallIntegerField(_("排放年度"))
    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="list_entries")
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    basis = models.CharField(_("列入依据"), max_length=200, blank=True)
    listed = models.BooleanField(_("在名录中"), default=True)
    added_by = required_link(USER, _("列入人"), related_name="+")
    added_at = models.DateTimeField(_("列入时间"), auto_now_add=True)
    removed_reason = models.CharField(_("移出理由"), max_length=300, blank=True)
    removed_by = optional_link(USER, _("移出人"), related_name="+")
    removed_at = models.DateTimeField(_("移出时间"), null=True, blank=True)

    scope_fields = UNIT_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("重点排污单位名录")
        ordering = ["-year", "zone__sort_order", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "enterprise"], name="emissions_listed_once_a_year"),
            models.CheckConstraint(
                condition=Q(listed=True) | ~Q(removed_reason=""), name="emissions_removal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.enterprise}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("emissions:list_entry", args=[self.pk])


class ListAction(models.TextChoices):
    ADD = "add", _("列入")
    REMOVE = "remove", _("移出")
    RESTORE = "restore", _("恢复列入")
    EDIT = "edit", _("修改")


class ListChange(models.Model):
    """名录变更记录: one change of a management-list entry, with who made it and why (append-only).

    A removal always carries a reason; after the list's deadline every change does (TOT-1)."""

    entry = required_link(ListEntry, _("名录条目"), related_name="changes")
    action = models.CharField(_("变更"), max_length=8, choices=ListAction.choices)
    reason = models.CharField(_("理由"), max_length=300, blank=True)
    after_deadline = models.BooleanField(_("截止后变更"), default=False)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    actor = required_link(USER, _("操作人"), related_name="+")
    role = models.CharField(_("角色"), max_length=16, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_fields = {"zone": "entry__zone_id", "enterprise": "entry__enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("名录变更记录")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.action}"


# --- deadlines (TOT-1, TOT-2) --------------------------------------------------------------------
class DeadlineKind(models.TextChoices):
    LIST = "list", _("名录确定")
    REPORT = "report", _("排放量申报")


class DeadlineExtension(models.Model):
    """截止日期延期: the bureau extends a deadline of ``year`` for one unit or one zone, with a reason.

    The latest extension that covers a unit wins (the unit's own before its zone's)."""

    kind = models.CharField(_("事项"), max_length=8, choices=DeadlineKind.choices)
    year = models.PositiveSmallIntegerField(_("排放年度"))
    zone = optional_link("registry.Zone", _("功能区"), related_name="+")
    enterprise = optional_link("registry.Enterprise", _("排污单位"), related_name="+")
    due_on = models.DateField(_("延期至"))
    reason = models.CharField(_("理由"), max_length=300)
    granted_by = required_link(USER, _("批准人"), related_name="+")
    granted_at = models.DateTimeField(_("批准时间"), auto_now_add=True)

    scope_fields = {"zone": "zone_id", "enterprise": "enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("截止日期延期")
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(zone__isnull=False) | Q(enterprise__isnull=False),
                name="emissions_extension_names_whom",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="emissions_extension_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year} → {self.due_on}"


class ReminderKind(models.TextChoices):
    MANUAL = "manual", _("人工催报")
    DUE_SOON = "due_soon", _("临近截止")
    OVERDUE = "overdue", _("逾期未报")


class Reminder(models.Model):
    """催报提醒: a reminder in the app to a unit about its report of ``year`` (from its zone or the
    bureau, or sent by the platform as a deadline nears); the unit sees it until it has reported.

    The platform's own reminders (``kind`` due soon or overdue, ``sent_by`` empty) are sent at most
    once a unit, year and day (``sent_on``), so the daily run can be repeated; their text is
    written from ``due_on`` in the reader's language."""

    year = models.PositiveSmallIntegerField(_("排放年度"))
    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="+")
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    kind = models.CharField(
        _("提醒类型"), max_length=8, choices=ReminderKind.choices, default=ReminderKind.MANUAL
    )
    message = models.CharField(_("提醒内容"), max_length=300)
    due_on = models.DateField(_("申报截止日"), null=True, blank=True)
    sent_by = optional_link(USER, _("提醒人"), related_name="+")
    sent_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)
    sent_on = models.DateField(_("提醒日期"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    scope_fields = UNIT_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("催报提醒")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "sent_on"],
                condition=~Q(kind="manual"),
                name="emissions_platform_reminder_once_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.enterprise_id}"


# --- TOT-2: the self-report ----------------------------------------------------------------------
class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回修改")
    RESUBMITTED = "resubmitted", _("已重新提交")
    ACCEPTED = "accepted", _("已审核通过")


AWAITING_REVIEW = (ReportStatus.SUBMITTED, ReportStatus.RESUBMITTED)
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)


class EmissionReport(DetailPage):
    """排放量自行申报 (TOT-2): a listed unit's report of its emissions of ``year``, per pollutant.

    One per unit and year. Its figures are in versions (:class:`ReportVersion`): ``current_version``
    is the one being edited or last submitted, ``accepted_version`` the one the bureau accepted,
    which is the only one anything is computed from.
    """

    year = models.PositiveSmallIntegerField(_("排放年度"))
    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="emission_reports")
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    entry = required_link(ListEntry, _("名录条目"), related_name="reports")
    status = models.CharField(
        _("状态"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    current_version = optional_link("ReportVersion", _("当前版本"), related_name="+")
    accepted_version = optional_link("ReportVersion", _("通过版本"), related_name="+")
    created_by = required_link(USER, _("填报人"), related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("最近提交时间"), null=True, blank=True)
    accepted_by = optional_link(USER, _("审核通过人"), related_name="+")
    accepted_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)

    scope_fields = UNIT_SCOPE

    detail_view = "emissions:report_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("排放量自行申报")
        ordering = ["-year", "zone__sort_order", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="emissions_one_report_a_year"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"


class ReportOrigin(models.TextChoices):
    FORM = "form", _("在线填报")
    EXECUTION_REPORT = "execution", _("导入排污许可执行报告")
    IMPORT = "import", _("批量导入")


class ReportVersion(models.Model):
    """申报版本: the figures of one version of a report; frozen once submitted (``submitted_at``).

    Version 1 is the first draft; a returned report is corrected in version n + 1, a copy of n
    that the unit edits, with a note on what it changed (``change_note``)."""

    report = required_link(EmissionReport, _("申报"), related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    origin = models.CharField(
        _("来源"), max_length=12, choices=ReportOrigin.choices, default=ReportOrigin.FORM
    )
    change_note = models.TextField(_("修改说明"), blank=True)
    created_by = required_link(USER, _("创建人"), related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_by = optional_link(USER, _("提交人"), related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    scope_fields = REPORT_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("申报版本")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="emissions_version_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.number}"

    @property
    def frozen(self) -> bool:
        return self.submitted_at is not None


class Method(models.TextChoices):
    """实际排放量核算方法 (TOT-2)."""

    ONLINE = "online", _("在线监测")
    SUPERVISORY = "supervisory", _("监督性监测")
    SELF = "self", _("自行监测")
    BALANCE = "balance", _("物料衡算")
    FACTOR = "factor", _("产排污系数")


class ReportLine(models.Model):
    """申报明细: one pollutant of a report version: last year's permitted, actual and allowed
    emissions, how actual was obtained, and the figures the platform prefilled.

    ``permitted_prefill_grams`` (from the unit's permit data) and ``allowed_prefill_grams`` (from
    last year's determination) are what the platform offered; where the unit's figure differs, or
    it reports a pollutant it holds no permit for, ``difference_note`` explains why. A draft line
    may lack its figures; submission requires them."""

    version = models.ForeignKey(
        ReportVersion, on_delete=models.CASCADE, related_name="lines", verbose_name=_("版本")
    )
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    permitted_grams = models.BigIntegerField(_("许可排放量"), null=True, blank=True)
    permitted_prefill_grams = models.BigIntegerField(_("许可证载明许可排放量"), null=True, blank=True)
    actual_grams = models.BigIntegerField(_("实际排放量（外排环境量）"), null=True, blank=True)
    sewer_grams = models.BigIntegerField(_("实际排放量（接管量）"), null=True, blank=True)
    allowed_grams = models.BigIntegerField(_("核定排放量"), null=True, blank=True)
    allowed_prefill_grams = models.BigIntegerField(_("上年核定排放量"), null=True, blank=True)
    method = models.CharField(_("核算方法"), max_length=12, choices=Method.choices, blank=True)
    data_source = models.CharField(_("数据来源"), max_length=300, blank=True)
    difference_note = models.CharField(_("差异说明"), max_length=500, blank=True)

    scope_fields = {"zone": "version__report__zone_id", "enterprise": "version__report__enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("申报明细")
        ordering = ["version", "pollutant__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "pollutant"], name="emissions_line_one_per_pollutant"),
            models.CheckConstraint(
                condition=(Q(actual_grams__isnull=True) | Q(actual_grams__gte=0))
                & (Q(permitted_grams__isnull=True) | Q(permitted_grams__gte=0))
                & (Q(sewer_grams__isnull=True) | Q(sewer_grams__gte=0))
                & (Q(allowed_grams__isnull=True) | Q(allowed_grams__gte=0)),
                name="emissions_line_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} {self.pollutant_id}"


class ReportTransition(Transition):
    """申报流转记录: one step of a report (created, submitted, returned, resubmitted, accepted)."""

    report = required_link(EmissionReport, related_name="transitions")

    class Meta(Transition.Meta):
        verbose_name = _("申报流转记录")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.from_status} -> {self.to_status}"


class AttachmentKind(models.TextChoices):
    EXECUTION_REPORT = "execution", _("排污许可执行报告")
    MONITORING = "monitoring", _("监测报告")
    ACCOUNTING = "accounting", _("核算过程及依据")
    OTHER = "other", _("其他")


ATTACHMENT_FOLDER = "emissions/attachments"


def attachment_path(instance: ReportAttachment, filename: str) -> str:
    # Stored under the digest, not the uploaded name: names are untrusted and may collide.
    return f"{ATTACHMENT_FOLDER}/{instance.sha256[:2]}/{instance.sha256}"


class ReportAttachment(DetailPage):
    """申报附件: a file attached to a report version (execution report, monitoring report …),
    checked by content and hashed (``common.files``). Carried into the next version on correction."""

    version = models.ForeignKey(
        ReportVersion, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("版本")
    )
    kind = models.CharField(_("附件类型"), max_length=12, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    size_bytes = models.BigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=100)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = required_link(USER, _("上传人"), related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_fields = {"zone": "version__report__zone_id", "enterprise": "version__report__enterprise_id"}

    detail_view = "emissions:attachment_download"

    class Meta:
        verbose_name = verbose_name_plural = _("申报附件")
        ordering = ["version", "kind", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "kind", "sha256"], name="emissions_attachment_once"),
        ]

    def __str__(self) -> str:
        return self.original_name


# --- TOT-3: technical review ---------------------------------------------------------------------
class OpinionConclusion(models.TextChoices):
    ACCEPT = "accept", _("建议通过")
    RETURN = "return", _("建议退回修改")


class TechnicalOpinion(models.Model):
    """技术审核意见 (TOT-3): a third party's or a reviewer's opinion on one submitted version.

    It advises; a different reviewer accepts the report or returns it (four eyes: the opinion's
    author may not accept). Append-only; a new version needs a new opinion."""

    report = required_link(EmissionReport, _("申报"), related_name="opinions")
    version = required_link(ReportVersion, _("版本"), related_name="opinions")
    author = required_link(USER, _("出具人"), related_name="+")
    organisation = models.CharField(_("机构"), max_length=100, blank=True)
    conclusion = models.CharField(_("结论"), max_length=8, choices=OpinionConclusion.choices)
    text = models.TextField(_("意见"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_fields = REPORT_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("技术审核意见")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.version_id} {self.conclusion}"


# --- TOT-3: other sources and consistency --------------------------------------------------------
class SourceKind(models.TextChoices):
    """The sources a unit's reported figure is compared with."""

    EXECUTION_REPORT = "execution", _("排污许可执行报告")
    STATISTICS = "statistics", _("环境统计")
    DISCLOSURE = "disclosure", _("环境信息披露")
    ONLINE = "online", _("在线监测年度总量")


class SourceImport(DetailPage):
    """外部数据导入批次: one imported file of figures from another source, with its date.

    The bureau imports environmental statistics, disclosure data and online-monitoring totals; a
    unit's permit execution report comes in with its report (``enterprise`` set). When one source
    was imported more than once for a year, the latest batch's figure counts."""

    kind = models.CharField(_("数据来源"), max_length=12, choices=SourceKind.choices)
    year = models.PositiveSmallIntegerField(_("排放年度"))
    source = models.CharField(_("来源说明"), max_length=200)
    source_date = models.DateField(_("数据日期"))
    enterprise = optional_link("registry.Enterprise", _("排污单位"), related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    imported_by = required_link(USER, _("导入人"), related_name="+")
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    detail_view = "emissions:source_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("外部数据导入批次")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} {self.source}"


class SourceFigure(models.Model):
    """外部来源数据: a unit's yearly emission of a pollutant as another source states it
    (外排环境量; 接管量 where the source gives it)."""

    batch = models.ForeignKey(
        SourceImport, on_delete=models.CASCADE, related_name="figures", verbose_name=_("导入批次")
    )
    kind = models.CharField(_("数据来源"), max_length=12, choices=SourceKind.choices)
    year = models.PositiveSmallIntegerField(_("排放年度"))
    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="+")
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    grams = models.BigIntegerField(_("排放量（外排环境量）"))
    sewer_grams = models.BigIntegerField(_("排放量（接管量）"), null=True, blank=True)

    scope_fields = {"zone": "enterprise__zone_id", "enterprise": "enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("外部来源数据")
        ordering = ["year", "enterprise", "pollutant__sort_order"]
        indexes = [models.Index(fields=["year", "enterprise", "pollutant", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "enterprise", "pollutant"], name="emissions_figure_once_a_batch"
            ),
            models.CheckConstraint(
                condition=not_negative("grams") & (Q(sewer_grams__isnull=True) | Q(sewer_grams__gte=0)),
                name="emissions_figure_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year} {self.enterprise_id} {self.pollutant_id}"


class FlagKind(models.TextChoices):
    DIFFERENCE = "difference", _("数据不一致")
    OVER_PERMITTED = "over_permit", _("超许可排放量")
    OVER_ALLOWED = "over_allowed", _("超核定排放量")


OVER_EMISSION = (FlagKind.OVER_PERMITTED, FlagKind.OVER_ALLOWED)


class FlagStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已处理")
    SUPERSEDED = "superseded", _("已被新版本取代")


class ConsistencyFlag(DetailPage):
    """一致性核查提示 (TOT-3): a difference between a report version's figure and another source's
    beyond the tolerance, or an over-emission (actual above permitted or allowed).

    It says which figures differ, by how much and under which tolerance (``rules``). A reviewer
    resolves it with a reason; over-emission flags are candidates for a supervision finding (SUP-4).
    A newer version's check supersedes the older version's open flags."""

    report = required_link(EmissionReport, _("申报"), related_name="flags")
    version = required_link(ReportVersion, _("版本"), related_name="flags")
    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="+")
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    year = models.PositiveSmallIntegerField(_("排放年度"))
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    kind = models.CharField(_("类型"), max_length=12, choices=FlagKind.choices)
    source_kind = models.CharField(_("比对来源"), max_length=12, choices=SourceKind.choices, blank=True)
    source_figure = optional_link(SourceFigure, _("比对数据"), related_name="+")
    reported_grams = models.BigIntegerField(_("申报数"))
    other_grams = models.BigIntegerField(_("比对数"))
    difference_grams = models.BigIntegerField(_("差值"))
    tolerance_grams = models.BigIntegerField(_("允许偏差"), default=0)
    rules = models.JSONField(_("所用规则参数"), default=list, blank=True)
    message = models.CharField(_("说明"), max_length=500)
    status = models.CharField(_("状态"), max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    resolved_by = optional_link(USER, _("处理人"), related_name="+")
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution = models.TextField(_("处理意见"), blank=True)

    scope_fields = UNIT_SCOPE

    detail_view = "emissions:flag_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("一致性核查提示")
        ordering = ["-year", "status", "zone__sort_order", "enterprise__name", "pollutant__sort_order"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="resolved") | ~Q(resolution=""),
                name="emissions_flag_resolution_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.enterprise_id} {self.year} {self.pollutant_id}"


# --- TOT-3: this year's allowed emissions ----------------------------------------------------------
class DeterminationStatus(models.TextChoices):
    COMPUTED = "computed", _("已测算")
    ISSUED = "issued", pgettext_lazy("determination", "已下达")


class Determination(DetailPage):
    """年度核定排放量 (TOT-3): a unit's allowed emissions for ``year`` (核定年度), per pollutant, as
    the zone's determination run computed them, issued to the unit as a numbered, verifiable
    document (``documents.IssuedDocument``, kind determination). An override confirmed after issue
    issues a new version that supersedes the old."""

    year = models.PositiveSmallIntegerField(_("核定年度"))
    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="determinations")
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    status = models.CharField(
        _("状态"), max_length=12, choices=DeterminationStatus.choices, default=DeterminationStatus.COMPUTED
    )
    computed_by = required_link(USER, _("测算人"), related_name="+")
    computed_at = models.DateTimeField(_("测算时间"))
    issued_by = optional_link(USER, _("下达人"), related_name="+")
    issued_at = models.DateTimeField(_("下达时间"), null=True, blank=True)
    document = optional_link("documents.IssuedDocument", _("核定文件"), related_name="+")
    # The pollutants of the accepted report the rule could not determine, each with why and the
    # line it read (no allowed and no permitted figure: there is no base).
    undetermined = models.JSONField(_("未核定的污染物"), default=list, blank=True)

    scope_fields = UNIT_SCOPE

    detail_view = "emissions:determination_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("年度核定排放量")
        ordering = ["-year", "zone__sort_order", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="emissions_determined_once_a_year"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"


class DeterminationLine(models.Model):
    """核定明细: one pollutant of a determination, with its derivation.

    ``derivation`` lists each step (input with its source, rule with its parameters and clause,
    figure); ``computed_grams`` is what the rule gives, ``allowed_grams`` what stands: the rule's
    figure, or an override once a second person confirmed it (``override_*``)."""

    determination = models.ForeignKey(
        Determination, on_delete=models.CASCADE, related_name="lines", verbose_name=_("核定")
    )
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    report_line = optional_link(ReportLine, _("所据申报明细"), related_name="+")
    base_grams = models.BigIntegerField(_("基数"))
    computed_grams = models.BigIntegerField(_("测算核定量"))
    allowed_grams = models.BigIntegerField(_("核定排放量"))
    derivation = models.JSONField(_("测算过程"), default=list, blank=True)
    rules = models.JSONField(_("所用规则参数"), default=list, blank=True)
    override_grams = models.BigIntegerField(_("调整核定量"), null=True, blank=True)
    override_reason = models.TextField(_("调整理由"), blank=True)
    override_by = optional_link(USER, _("调整人"), related_name="+")
    override_at = models.DateTimeField(_("调整时间"), null=True, blank=True)
    override_confirmed_by = optional_link(USER, _("调整确认人"), related_name="+")
    override_confirmed_at = models.DateTimeField(_("调整确认时间"), null=True, blank=True)

    scope_fields = {"zone": "determination__zone_id", "enterprise": "determination__enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("核定明细")
        ordering = ["determination", "pollutant__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["determination", "pollutant"], name="emissions_determined_pollutant_once"
            ),
            models.CheckConstraint(
                condition=not_negative("base_grams", "computed_grams", "allowed_grams")
                & (Q(override_grams__isnull=True) | Q(override_grams__gte=0)),
                name="emissions_determination_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.determination_id} {self.pollutant_id}"

    @property
    def override_pending(self) -> bool:
        return self.override_by_id is not None and self.override_confirmed_by_id is None


EVIDENCE_FOLDER = "emissions/verified"


def evidence_path(instance: VerifiedEmission, filename: str) -> str:
    # Stored under the digest, not the uploaded name: names are untrusted and may collide.
    return f"{EVIDENCE_FOLDER}/{instance.evidence_sha256[:2]}/{instance.evidence_sha256}"


class VerifiedEmission(models.Model):
    """核实排放量: a unit's verified actual yearly emission of a pollutant, with its source.

    The fallback of RES-4 (2): recovery candidates come from accepted reports; a reviewer types a
    verified figure by hand, with evidence, only where no accepted report holds it. The evidence
    (a monitoring report, an execution report) is a file checked by content and hashed
    (``common.files``); figures entered before evidence was required have none.
    """

    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="+")
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    actual_grams = models.BigIntegerField(_("实际排放量"))
    source = models.CharField(_("数据来源"), max_length=300)
    evidence = models.FileField(_("佐证材料"), upload_to=evidence_path, max_length=200, blank=True)
    evidence_name = models.CharField(_("佐证材料文件名"), max_length=200, blank=True)
    evidence_size_bytes = models.BigIntegerField(_("佐证材料大小（字节）"), null=True, blank=True)
    evidence_sha256 = models.CharField(_("佐证材料 SHA-256"), max_length=64, blank=True)
    evidence_content_type = models.CharField(_("佐证材料类型"), max_length=100, blank=True)
    recorded_by = required_link(USER, _("录入人"), related_name="+")
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    scope_fields = {"zone": "enterprise__zone_id", "enterprise": "enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("核实排放量")
        ordering = ["-year", "enterprise"]
        constraints = [
            # Named when the table belonged to the reserve; kept so the database is unchanged.
            models.UniqueConstraint(fields=["enterprise", "pollutant", "year"], name="reserve_verified_once"),
            models.CheckConstraint(condition=Q(actual_grams__gte=0), name="reserve_verified_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.pollutant} {self.year}"
