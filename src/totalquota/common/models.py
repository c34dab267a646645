"""Shared tables: the counters of documents the bureau issues."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentCounter(models.Model):
    """The last number issued for one kind of document in one year (文号), for gapless numbering.

    Written only by :func:`totalquota.common.codes.document_number`, which locks the row for the
    rest of the issuing transaction; a rolled-back issue rolls its number back with it."""

    kind = models.CharField(_("文件种类"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    last = models.PositiveIntegerField(_("已用至"), default=0)

    class Meta:
        verbose_name = _("文号计数")
        verbose_name_plural = _("文号计数")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="common_document_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"
