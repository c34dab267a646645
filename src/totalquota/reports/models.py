"""通报与报表: what a bulletin is issued for.

A bulletin is an :class:`~totalquota.documents.models.IssuedDocument` of kind ``bulletin``; its
subject is a :class:`BulletinSeries`, the kind of bulletin, its zone (or the whole park) and its
period. "One valid document per subject" then means: issuing the same bulletin again (with
today's knowledge of the ledger) supersedes the version before.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import optional_link, required_link
from totalquota.documents.models import IssuedDocument


class BulletinKind(models.TextChoices):
    REDUCTION = "reduction", _("减排项目通报")
    WARNING = "warning", _("储备收支预警通报")
    SUPERVISION = "supervision", _("年度总量监管报告")


# The clause each kind of bulletin is issued under.
CLAUSES = {
    BulletinKind.REDUCTION: "RED-5",
    BulletinKind.WARNING: "RES-3",
    BulletinKind.SUPERVISION: "SUP-4",
}


class BulletinSeries(models.Model):
    """通报事项: one bulletin the bureau issues (a kind, a zone or the whole park, a period), the
    subject its issued versions share. Written the first time that bulletin is issued."""

    kind = models.CharField(_("通报种类"), max_length=16, choices=BulletinKind.choices)
    zone = optional_link("registry.Zone", _("功能区"), related_name="+")
    start = models.DateField(_("期间起"))
    end = models.DateField(_("期间止"))
    created_by = required_link(settings.AUTH_USER_MODEL, _("创建人"), related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    # A zone's officers read its bulletins; the park's bulletins (no zone) are the park-wide roles'.
    scope_fields = {"zone": "zone_id"}

    class Meta:
        verbose_name = verbose_name_plural = _("通报事项")
        ordering = ["-end", "kind", "zone__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "zone", "start", "end"],
                condition=Q(zone__isnull=False),
                name="reports_series_once_per_zone",
            ),
            models.UniqueConstraint(
                fields=["kind", "start", "end"],
                condition=Q(zone__isnull=True),
                name="reports_series_once_for_park",
            ),
            models.CheckConstraint(condition=Q(start__lte=models.F("end")), name="reports_series_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.zone or '全园区'} {self.start}—{self.end}"

    @property
    def clause(self) -> str:
        return CLAUSES[BulletinKind(self.kind)]

    @property
    def scope_label(self) -> str:
        return self.zone.name if self.zone is not None else "全园区"

    @property
    def label(self) -> str:
        """The subject as the document names it (Chinese, as issued)."""
        kind = dict(
            zip(BulletinKind.values, ["减排项目通报", "储备收支预警通报", "年度总量监管报告"], strict=True)
        )
        return f"{kind[self.kind]}（{self.scope_label}，{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}）"


class BulletinManager(models.Manager["Bulletin"]):
    def get_queryset(self) -> models.QuerySet[Bulletin]:
        return super().get_queryset().filter(kind="bulletin").defer("pdf", "xlsx")


class Bulletin(IssuedDocument):
    """通报: an issued document of kind ``bulletin`` as the bulletin pages list it (its page,
    its series). No table of its own."""

    # The proxy's own rows only (documents of kind bulletin).
    objects = BulletinManager()  # type: ignore[misc]

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = _("通报")
        ordering = ["-issued_at", "-id"]

    def get_absolute_url(self) -> str:
        return reverse("reports:bulletin_detail", args=[self.pk])
