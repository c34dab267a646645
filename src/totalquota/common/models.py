"""Shared tables (the counters of documents the bureau issues) and shared field shapes."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DocumentCounter(models.Model):
    """The last number issued for one kind of document in one year (文号), for gapless numbering.

    Written only by :func:`totalquota.common.codes.document_number`, which locks the row for the
    rest of the issuing transaction; a rolled-back issue rolls its number back with it."""

    kind = models.CharField(_("文件种类"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    last = models.PositiveIntegerField(_("已用至"), default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("文号计数")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="common_document_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


def required_link(to: Any, verbose_name: Any = None, **options: Any) -> models.ForeignKey[Any, Any]:
    """A reference that must be given and protects what it points to: a record never disappears
    from under a row that names it (a line's pollutant, the person who recorded a figure)."""
    return models.ForeignKey(to, on_delete=models.PROTECT, verbose_name=verbose_name, **options)


def optional_link(to: Any, verbose_name: Any = None, **options: Any) -> models.ForeignKey[Any, Any]:
    """A reference that may be empty and protects what it points to: a record never disappears
    from under a row that names it (users' zones and units, tokens' scopes, audit actors)."""
    return required_link(to, verbose_name, null=True, blank=True, **options)


def not_negative(*fields: str) -> Q:
    """The condition of a CHECK that each of ``fields`` is zero or more (amounts, running totals)."""
    return reduce(operator.and_, (Q(**{f"{name}__gte": 0}) for name in fields))


class DetailPage(models.Model):
    """A record with a page of its own: ``get_absolute_url`` reverses ``detail_view`` (a URL name
    taking the primary key), declared once by each model that has one."""

    detail_view: ClassVar[str]

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return reverse(self.detail_view, args=[self.pk])
