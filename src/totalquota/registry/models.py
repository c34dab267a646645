"""基础信息: the park, its functional zones, the managed pollutants, rule parameters, enterprises,
their permit limits, the working-day calendar and the environmental quality assessments."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import optional_link, required_link
from totalquota.lib.units import Unit


class Park(models.Model):
    """园区: the park this deployment serves (one row today; the scale path adds city/province)."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = verbose_name_plural = _("园区")

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """功能区: a functional zone of the park; quota is banked and allocated per zone."""

    park = models.ForeignKey(Park, on_delete=models.PROTECT, related_name="zones", verbose_name=_("园区"))
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = verbose_name_plural = _("功能区")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Medium(models.TextChoices):
    AIR = "air", _("大气")
    WATER = "water", _("水")
    AIR_OR_WATER = "air_or_water", _("大气或水")


class Pollutant(models.Model):
    """总量管控因子 (POLL-1): one of the 13 managed pollutants, with its medium and display unit."""

    code = models.CharField(_("代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    name_en = models.CharField(_("英文名称"), max_length=64)
    medium = models.CharField(_("介质"), max_length=16, choices=Medium.choices)
    display_unit = models.CharField(
        _("显示单位"), max_length=8, choices=[(u.value, u.value) for u in Unit], default=Unit.TONNES_PER_YEAR
    )
    is_heavy_metal = models.BooleanField(_("重金属"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("污染物")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the language of the page: ``name_en`` (seeded with POLL-1) when English is on."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def unit(self) -> Unit:
        return Unit(self.display_unit)


class RuleParameter(models.Model):
    """规则参数: an effective-dated value of a rule (threshold, ratio, percentage, deadline).

    A parameter applies from ``effective_from`` up to, not including, ``effective_to``; it may be
    limited to one pollutant and/or one zone, and the most specific row wins. Every row cites the
    clause of the rules it implements, and decisions store the row they used, so that any decision
    can be explained and recomputed later. The value's shape depends on the key's kind (see
    :mod:`totalquota.registry.rules`).
    """

    key = models.CharField(_("参数"), max_length=64, db_index=True)
    pollutant = models.ForeignKey(
        Pollutant, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("污染物")
    )
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("功能区"))
    value = models.JSONField(_("取值"), null=True, blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    clause_id = models.CharField(_("条款"), max_length=16)
    source = models.CharField(_("依据说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("规则参数")
        ordering = ["key", "pollutant__sort_order", "zone__sort_order", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                name="rule_parameter_period_is_ordered",
            ),
        ]

    def __str__(self) -> str:
        scope = " / ".join(str(x) for x in (self.pollutant, self.zone) if x)
        return f"{self.key} {scope} {self.effective_from}".strip()


class ManagementCategory(models.TextChoices):
    """排污许可管理类别."""

    KEY = "key", _("重点管理")
    SIMPLIFIED = "simplified", _("简化管理")
    REGISTRATION = "registration", _("登记管理")


class Enterprise(models.Model):
    """排污单位: a discharging unit of the park, identified by its unified social credit code."""

    name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    permit_number = models.CharField(_("排污许可证编号"), max_length=32, blank=True)
    industry_code = models.CharField(_("行业代码"), max_length=8, blank=True)
    industry_name = models.CharField(_("行业类别"), max_length=100, blank=True)
    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("功能区")
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    management_category = models.CharField(
        _("管理类别"),
        max_length=16,
        choices=ManagementCategory.choices,
        default=ManagementCategory.SIMPLIFIED,
    )
    is_active = models.BooleanField(_("在册"), default=True)
    merged_into = optional_link(
        "self", _("并入单位"), related_name="merged_units", help_text=_("被吸收合并时，存续的单位")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Paths that the permission helper filters on (see accounts.permissions.restrict).
    scope_fields = {"zone": "zone_id", "enterprise": "id"}

    class Meta:
        verbose_name = verbose_name_plural = _("排污单位")
        ordering = ["zone__sort_order", "name"]
        indexes = [models.Index(fields=["zone", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["permit_number"],
                condition=~Q(permit_number=""),
                name="enterprise_permit_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("registry:enterprise_detail", args=[self.pk])


class ChangeKind(models.TextChoices):
    """What happened to a unit (单位沿革)."""

    REGISTER = "register", _("首次登记")
    EDIT = "edit", _("修改登记信息")
    RENAME = "rename", _("更名")
    RECODE = "recode", _("变更信用代码")
    MOVE = "move", _("迁入其他功能区")
    MERGE = "merge", _("被吸收合并")
    ABSORB = "absorb", _("吸收合并")
    SPLIT = "split", _("分立出新单位")
    SPLIT_OFF = "split_off", _("由分立新设")
    CLOSE = "close", _("注销")
    REOPEN = "reopen", _("恢复在册")


class ChangeSource(models.TextChoices):
    """Who said the unit changed."""

    BUREAU = "bureau", _("生态环境局登记")
    PERMIT_EVENT = "permit_event", _("排污许可系统事件")
    BACKFILL = "backfill", _("上线时的登记信息")


class UnitVersion(models.Model):
    """单位沿革: one version of a unit's registration, valid from ``effective_on`` until the next
    version's date: its name, credit code, zone and whether it is on the register then.

    Every change of a unit (renamed, new credit code, moved to another zone, merged, split, closed,
    reopened, its registration edited) appends one row; rows are never changed or deleted (the table
    is append-only). The unit's row keeps the current values, so every page reading it today keeps
    working; a past year reads the name as registered then (``selectors.unit_name_on``). ``related``
    is the other unit of a merge or split: the survivor a unit was merged into, the unit it absorbed,
    the unit split off or the unit it was split from. Nothing here moves quota: a move between zones
    leaves allocations where they are until the bureau posts a zone transfer.
    """

    enterprise = required_link(Enterprise, _("排污单位"), related_name="versions")
    kind = models.CharField(_("变更类型"), max_length=16, choices=ChangeKind.choices)
    effective_on = models.DateField(_("生效日期"))
    name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    zone = required_link(Zone, _("功能区"), related_name="+")
    is_active = models.BooleanField(_("在册"))
    related = optional_link(Enterprise, _("相关单位"), related_name="+")
    reason = models.CharField(_("依据或事由"), max_length=500, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=ChangeSource.choices)
    source_reference = models.CharField(_("来源编号"), max_length=100, blank=True)
    recorded_by = optional_link(settings.AUTH_USER_MODEL, _("登记人"), related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_fields = {"zone": "enterprise__zone_id", "enterprise": "enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("单位沿革")
        ordering = ["enterprise_id", "effective_on", "pk"]
        indexes = [models.Index(fields=["enterprise", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.name} {self.get_kind_display()} {self.effective_on}"


class PermitLimit(models.Model):
    """排污许可量: the yearly quantity a unit's emission permit allows for one pollutant.

    ``permitted_grams`` is the discharge to the environment (外排环境量), the figure the emission
    total library compares and determines against; ``sewer_grams`` the quantity sent to a sewage
    plant (接管量), water pollutants only. Limits are effective-dated per (unit, pollutant) from
    ``valid_from`` to ``valid_to`` inclusive (open when empty) and never overlap; the permit number
    is the unit's at the time it was recorded.
    """

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="permit_limits", verbose_name=_("排污单位")
    )
    pollutant = models.ForeignKey(
        Pollutant, on_delete=models.PROTECT, related_name="+", verbose_name=_("污染物")
    )
    permitted_grams = models.BigIntegerField(_("许可排放量（外排环境量）"))
    sewer_grams = models.BigIntegerField(_("许可排放量（接管量）"), null=True, blank=True)
    valid_from = models.DateField(_("有效期自"))
    valid_to = models.DateField(_("有效期至"), null=True, blank=True)
    permit_number = models.CharField(_("排污许可证编号"), max_length=32)
    source = models.CharField(_("依据"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人")
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    scope_fields = {"zone": "enterprise__zone_id", "enterprise": "enterprise_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("排污许可量")
        ordering = ["enterprise__name", "pollutant__sort_order", "-valid_from"]
        indexes = [models.Index(fields=["enterprise", "pollutant", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(permitted_grams__gte=0) & (Q(sewer_grams__isnull=True) | Q(sewer_grams__gte=0)),
                name="registry_permit_limit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="registry_permit_limit_period_is_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.pollutant} {self.valid_from}"

    def in_force_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class CalendarDay(models.Model):
    """工作日历例外: a day that is not what its weekday says (the State Council's yearly holiday
    notice): a public holiday on a weekday (``is_working_day`` false, e.g. 国庆节) or an adjusted
    working day on a weekend (调休上班). Only exceptions are stored; any other Monday to Friday is a
    working day, any other Saturday or Sunday is not (``lib.workdays``)."""

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("工作日"))
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Indicator(models.TextChoices):
    """Ambient quality indicators whose attainment decides the balance ratio."""

    O3 = "O3", _("臭氧")
    PM25 = "PM25", _("细颗粒物（PM2.5）")
    PM10 = "PM10", _("可吸入颗粒物（PM10）")
    NO2 = "NO2", _("二氧化氮")
    SO2 = "SO2", _("二氧化硫")
    WATER = "WATER", _("地表水考核断面")


# The medium (``registry.Medium``) each indicator assesses: the ambient air indicators and the
# surface-water sections. A medium's assessment is attained when every recorded indicator of it is
# (TOT-3 determination; the RES-2 ratio reads one indicator per pollutant instead).
INDICATOR_MEDIUM: dict[str, str] = {
    Indicator.O3: Medium.AIR,
    Indicator.PM25: Medium.AIR,
    Indicator.PM10: Medium.AIR,
    Indicator.NO2: Medium.AIR,
    Indicator.SO2: Medium.AIR,
    Indicator.WATER: Medium.WATER,
}


def indicators_of(medium: str) -> list[str]:
    """The indicators that assess ``medium``; a pollutant that goes to air or water (heavy
    metals, ``air_or_water``) is assessed by both media's indicators."""
    media = {Medium.AIR, Medium.WATER} if medium == Medium.AIR_OR_WATER else {medium}
    return [indicator for indicator, of in INDICATOR_MEDIUM.items() if of in media]


class AttainmentStatus(models.Model):
    """环境质量达标状况: whether an ambient indicator met its standard in a year, for one functional
    zone or (``zone`` empty) the whole park.

    One record per (zone or park, indicator, year). It serves both the RES-2 balance ratio and the
    TOT-3 determination; a zone without its own record is read through the park's.
    """

    year = models.PositiveSmallIntegerField(_("年度"))
    zone = optional_link(Zone, _("功能区"), related_name="+")
    indicator = models.CharField(_("指标"), max_length=8, choices=Indicator.choices)
    attained = models.BooleanField(_("达标"))
    source = models.CharField(_("依据"), max_length=300)
    recorded_by = required_link(settings.AUTH_USER_MODEL, _("录入人"), related_name="+")
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("环境质量达标状况")
        ordering = ["-year", "zone__sort_order", "indicator"]
        constraints = [
            # A NULL zone is never equal to another NULL in a unique index: the park's records
            # need their own constraint.
            models.UniqueConstraint(
                fields=["year", "indicator"],
                condition=Q(zone__isnull=True),
                name="reserve_attainment_park_unique",
            ),
            models.UniqueConstraint(
                fields=["zone", "year", "indicator"],
                condition=Q(zone__isnull=False),
                name="reserve_attainment_zone_unique",
            ),
        ]

    def __str__(self) -> str:
        where = self.zone.name if self.zone_id else "全园区"
        return f"{self.year} {where} {self.get_indicator_display()} {'达标' if self.attained else '不达标'}"

    @property
    def assessed_for(self) -> str:
        """What the record assesses, as decisions store it: the zone's code, or ``park``."""
        return self.zone.code if self.zone_id else PARK


# How a stored decision names the whole park where it could name a zone.
PARK = "park"
