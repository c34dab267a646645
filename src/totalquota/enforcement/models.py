"""监督执法与信用: findings about a unit, the notice, the unit's answer, the decision and the credit
record (SUP-4, domain §8).

A :class:`Finding` (发现问题) comes from a consistency flag of the emission library (an
over-emission flag or a difference between sources), an event of the enforcement system or an
inspection. It runs on the workflow kernel (``enforcement.workflow``): the unit is told
(:class:`Notice`, 告知) and may answer before a deadline (:class:`Answer`, 陈述申辩); an officer
prepares a decision (:class:`PenaltyDecision`, 处罚决定, or 不予处罚), which another person
confirms (four eyes); a confirmed penalty writes a :class:`CreditEntry` (信用记录) on the unit and
offers it to other systems through the outbox (``enforcement.credit_entry.recorded``).

Amounts are integer fen (分); every stage keeps its date and who took it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import DetailPage, not_negative, optional_link, required_link
from totalquota.workflow.models import Transition

USER = settings.AUTH_USER_MODEL
UNIT_SCOPE = {"zone": "zone_id", "enterprise": "enterprise_id"}
FINDING_SCOPE = {"zone": "finding__zone_id", "enterprise": "finding__enterprise_id"}
# The largest penalty a decision may state: 10 亿元 in fen (refused above, never truncated).
MAX_PENALTY_FEN = 100_000_000_000


class FindingSource(models.TextChoices):
    OVER_EMISSION = "over_emission", _("超量排放提示")
    CONSISTENCY = "consistency", _("数据一致性提示")
    EVENT = "event", _("执法事件")
    INSPECTION = "inspection", _("现场检查")


FLAG_SOURCES = (FindingSource.OVER_EMISSION, FindingSource.CONSISTENCY)


class FindingStatus(models.TextChoices):
    DRAFT = "draft", _("待告知")
    NOTIFIED = "notified", _("已告知")
    ANSWERED = "answered", _("已陈述申辩")
    PROPOSED = "proposed", _("处罚待确认")
    DISMISSING = "dismissing", _("不予处罚待确认")
    DECIDED = "decided", _("已处罚")
    CLOSED = "closed", _("不予处罚")


OPEN_STATUSES = (
    FindingStatus.DRAFT,
    FindingStatus.NOTIFIED,
    FindingStatus.ANSWERED,
    FindingStatus.PROPOSED,
    FindingStatus.DISMISSING,
)
PENDING_DECISION = (FindingStatus.PROPOSED, FindingStatus.DISMISSING)


class Finding(DetailPage):
    """发现问题 (SUP-4): something found about a unit that may end in a penalty and a credit entry.

    Its source is an emission-library flag (``flag``: over-emission or consistency), an event of
    the enforcement system (``event_reference``, the number there) or an inspection (its date and
    inspectors). ``facts`` states what was found; evidence files are :class:`FindingFile` rows.
    The status moves only through the workflow kernel (``enforcement.workflow.FINDING_ACTIONS``)."""

    code = models.CharField(_("编号"), max_length=20, unique=True)
    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="+")
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    pollutant = optional_link("registry.Pollutant", _("污染物"), related_name="+")
    source = models.CharField(_("来源"), max_length=16, choices=FindingSource.choices)
    flag = optional_link("emissions.ConsistencyFlag", _("一致性核查提示"), related_name="+")
    event_reference = models.CharField(_("执法事件编号"), max_length=64, blank=True)
    inspection_date = models.DateField(_("检查日期"), null=True, blank=True)
    inspectors = models.CharField(_("检查人员"), max_length=200, blank=True)
    facts = models.TextField(_("违法事实"))
    status = models.CharField(
        _("状态"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.DRAFT
    )
    created_by = required_link(USER, _("登记人"), related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_fields = UNIT_SCOPE
    # A unit sees a finding about it once it is notified (a draft is the bureau's working copy).
    hidden_from_unit = Q(status="draft")

    detail_view = "enforcement:finding_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("发现问题")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["year", "enterprise"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source__in=FLAG_SOURCES) | Q(flag__isnull=False),
                name="enforcement_flag_source_has_flag",
            ),
            models.CheckConstraint(
                condition=~Q(source=FindingSource.EVENT) | ~Q(event_reference=""),
                name="enforcement_event_has_reference",
            ),
            models.CheckConstraint(
                condition=~Q(source=FindingSource.INSPECTION)
                | (Q(inspection_date__isnull=False) & ~Q(inspectors="")),
                name="enforcement_inspection_has_date_and_inspectors",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_source_display()}"


class FindingTransition(Transition):
    """发现问题流转记录: one step of a finding (registered, notified, answered, proposed, decided)."""

    finding = required_link(Finding, related_name="transitions")

    class Meta(Transition.Meta):
        verbose_name = _("发现问题流转记录")

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.from_status} -> {self.to_status}"


class FileKind(models.TextChoices):
    EVIDENCE = "evidence", _("证据材料")
    ANSWER = "answer", _("陈述申辩材料")


FILE_FOLDER = "enforcement/files"


def file_path(instance: FindingFile, filename: str) -> str:
    # Stored under the digest, not the uploaded name: names are untrusted and may collide.
    return f"{FILE_FOLDER}/{instance.sha256[:2]}/{instance.sha256}"


class FindingFile(DetailPage):
    """证据与申辩材料: a file of a finding, the bureau's evidence or the unit's answer, checked by
    content and hashed (``common.files``) and sent only through a view that checks access."""

    finding = required_link(Finding, _("发现问题"), related_name="files")
    kind = models.CharField(_("材料类型"), max_length=12, choices=FileKind.choices)
    file = models.FileField(_("文件"), upload_to=file_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    size_bytes = models.BigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("文件类型"), max_length=100)
    uploaded_by = required_link(USER, _("上传人"), related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_fields = FINDING_SCOPE
    hidden_from_unit = Q(finding__status="draft")

    detail_view = "enforcement:file_download"

    class Meta:
        verbose_name = verbose_name_plural = _("证据与申辩材料")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["finding", "kind", "sha256"], name="enforcement_file_once"),
        ]

    def __str__(self) -> str:
        return self.original_name


class Notice(models.Model):
    """告知: the unit is told what was found and until when it may answer (SUP-4; the answer
    period is the rule parameter ``finding_answer_days``, whose value is kept in ``rules``)."""

    finding = models.OneToOneField(
        Finding, on_delete=models.PROTECT, related_name="notice", verbose_name=_("发现问题")
    )
    issued_on = models.DateField(_("告知日期"))
    answer_due = models.DateField(_("陈述申辩截止日期"))
    text = models.TextField(_("告知内容"))
    rules = models.JSONField(_("所用规则参数"), default=list, blank=True)
    issued_by = required_link(USER, _("告知人"), related_name="+")
    issued_at = models.DateTimeField(_("告知时间"), auto_now_add=True)

    scope_fields = FINDING_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("告知")

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.issued_on} → {self.answer_due}"


class Answer(models.Model):
    """陈述申辩: the unit's answer to a notice, by its own staff, before the deadline; its files are
    :class:`FindingFile` rows of kind ``answer``."""

    finding = models.OneToOneField(
        Finding, on_delete=models.PROTECT, related_name="answer", verbose_name=_("发现问题")
    )
    text = models.TextField(_("陈述申辩意见"))
    answered_by = required_link(USER, _("陈述申辩人"), related_name="+")
    answered_at = models.DateTimeField(_("陈述申辩时间"), auto_now_add=True)

    scope_fields = FINDING_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("陈述申辩")

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.answered_at}"


class DecisionKind(models.TextChoices):
    PENALTY = "penalty", _("行政处罚")
    NO_PENALTY = "no_penalty", _("不予处罚")


class DecisionState(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    RETURNED = "returned", _("已退回")


class Severity(models.TextChoices):
    GENERAL = "general", _("一般失信")
    SERIOUS = "serious", _("严重失信")


class PenaltyDecision(models.Model):
    """处罚决定: a penalty (decision number, amount in fen, legal basis) or a decision not to
    penalise (with its reason), prepared by one person and confirmed by another (four eyes,
    SUP-4). A returned proposal stays as it was (``returned``); the next one is a new row."""

    finding = required_link(Finding, _("发现问题"), related_name="decisions")
    kind = models.CharField(_("决定类型"), max_length=12, choices=DecisionKind.choices)
    state = models.CharField(
        _("状态"), max_length=12, choices=DecisionState.choices, default=DecisionState.PROPOSED
    )
    decision_number = models.CharField(_("处罚决定书文号"), max_length=64, blank=True)
    penalty_fen = models.BigIntegerField(_("罚款金额（分）"), null=True, blank=True)
    legal_basis = models.TextField(_("法律依据"), blank=True)
    severity = models.CharField(_("失信程度"), max_length=12, choices=Severity.choices, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    back_to = models.CharField(_("退回后状态"), max_length=12, choices=FindingStatus.choices)
    prepared_by = required_link(USER, _("拟办人"), related_name="+")
    prepared_at = models.DateTimeField(_("拟办时间"), auto_now_add=True)
    confirmed_by = optional_link(USER, _("确认人"), related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    returned_by = optional_link(USER, _("退回人"), related_name="+")
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)

    scope_fields = FINDING_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("处罚决定")
        ordering = ["prepared_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["finding"],
                condition=Q(state="confirmed"),
                name="enforcement_one_confirmed_decision",
            ),
            models.UniqueConstraint(
                fields=["finding"],
                condition=Q(state="proposed"),
                name="enforcement_one_open_proposal",
            ),
            models.UniqueConstraint(
                fields=["decision_number"],
                condition=Q(state="confirmed", kind="penalty"),
                name="enforcement_decision_number_unique",
            ),
            models.CheckConstraint(
                condition=~Q(kind="penalty")
                | (
                    Q(penalty_fen__isnull=False)
                    & not_negative("penalty_fen")
                    & Q(penalty_fen__lte=MAX_PENALTY_FEN)
                    & ~Q(decision_number="")
                    & ~Q(legal_basis="")
                ),
                name="enforcement_penalty_complete",
            ),
            models.CheckConstraint(
                condition=~Q(kind="no_penalty") | ~Q(reason=""),
                name="enforcement_no_penalty_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.decision_number or self.get_kind_display()

    @property
    def penalty_yuan(self) -> str:
        """The amount in yuan with two decimals, as pages and exports show it."""
        from totalquota.enforcement.amounts import format_yuan

        return format_yuan(self.penalty_fen)


class CreditKind(models.TextChoices):
    OVER_EMISSION = "over_emission", _("超总量排放")
    FALSE_DATA = "false_data", _("申报数据不实")
    VIOLATION = "violation", _("环境违法行为")


class CreditEntry(models.Model):
    """信用记录: the unit's credit record written when a penalty decision is confirmed (SUP-4):
    its kind, severity, date and reason, with the finding and the decision behind it.
    Append-only; offered to other systems as the outbox event ``enforcement.credit_entry.recorded``."""

    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="+")
    zone = required_link("registry.Zone", _("功能区"), related_name="+")
    finding = models.OneToOneField(
        Finding, on_delete=models.PROTECT, related_name="credit_entry", verbose_name=_("发现问题")
    )
    decision = models.OneToOneField(
        PenaltyDecision, on_delete=models.PROTECT, related_name="credit_entry", verbose_name=_("处罚决定")
    )
    kind = models.CharField(_("信用记录类型"), max_length=16, choices=CreditKind.choices)
    severity = models.CharField(_("失信程度"), max_length=12, choices=Severity.choices)
    recorded_on = models.DateField(_("记录日期"))
    reason = models.TextField(_("记录事由"))
    recorded_by = required_link(USER, _("记录人"), related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    scope_fields = UNIT_SCOPE

    class Meta:
        verbose_name = verbose_name_plural = _("信用记录")
        ordering = ["-recorded_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.recorded_on}"

    def get_absolute_url(self) -> str:
        """A credit entry is shown on its finding's page, beside the decision behind it."""
        return reverse("enforcement:finding_detail", args=[self.finding_id])
