"""总量库: the emission total library, the park's record of what each unit actually emits.

This is its first stone: the verified actual yearly emissions the bureau enters today (from
discharge-permit execution reports and monitoring), which the quota reserve reads to find quota to
recover (RES-4 (2)). Emission reports, their checks and the yearly totals will join them here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import required_link


class VerifiedEmission(models.Model):
    """核实排放量: a unit's verified actual yearly emission of a pollutant, with its source.

    Entered by the bureau until emission reports supply these figures.
    """

    enterprise = required_link("registry.Enterprise", _("排污单位"), related_name="+")
    pollutant = required_link("registry.Pollutant", _("污染物"), related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    actual_grams = models.BigIntegerField(_("实际排放量"))
    source = models.CharField(_("数据来源"), max_length=300)
    recorded_by = required_link(settings.AUTH_USER_MODEL, _("录入人"), related_name="+")
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
