"""历史数据导入: the park's lots, allocations and recoveries since 2021 (SCOPE-1), brought in from
the platform's XLSX template with their original dates.

A file is checked as a whole when it is uploaded (every row, and a simulation in date order that
no lot goes below zero at any past date); a file with any problem is refused with its row-by-row
report and nothing is kept. A good file becomes a prepared :class:`HistoryImport` holding its plan
(the rows as checked, in posting order); nothing is posted. Another bureau administrator confirms
it (four eyes) and every row is posted to the ledger in one transaction; each posting is linked to
the import by a :class:`HistoryEntry` (file name and SHA-256 on the import, preparer and confirmer
on the import and in the posting's reason).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from totalquota.common.models import DetailPage, optional_link, required_link


class ImportStatus(models.TextChoices):
    PREPARED = "prepared", _("待复核")
    CONFIRMED = "confirmed", _("已导入")
    DISCARDED = "discarded", pgettext_lazy("import", "已放弃")


class HistoryImport(DetailPage):
    """历史数据导入批次: one uploaded file, checked whole, prepared by one bureau administrator
    and confirmed (posted) or discarded by another.

    ``plan`` is what the file says, checked and in posting order: ``{"lots": [...],
    "allocations": [...], "recoveries": [...]}`` with grams as integers and dates as ISO text
    (see :mod:`totalquota.history.plan`). ``report`` is the row-by-row report: one entry per row
    (sheet, row, key, what will be posted). ``timeline`` is the simulated reserve of every zone
    and pollutant the file touches, after each day with a change (``[[zone id, pollutant id, day,
    grams], ...]``), which the ledger reproduces once the import is posted.
    """

    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, db_index=True)
    file_size = models.PositiveIntegerField(_("文件大小（字节）"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREPARED
    )
    plan = models.JSONField(default=dict)
    report = models.JSONField(default=list)
    timeline = models.JSONField(default=list)
    lot_rows = models.PositiveIntegerField(_("入库行数"), default=0)
    allocation_rows = models.PositiveIntegerField(_("分配行数"), default=0)
    recovery_rows = models.PositiveIntegerField(_("收回行数"), default=0)
    first_day = models.DateField(_("最早日期"), null=True, blank=True)
    last_day = models.DateField(_("最晚日期"), null=True, blank=True)
    prepared_by = required_link(settings.AUTH_USER_MODEL, _("经办人"), related_name="+")
    prepared_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    decided_by = optional_link(settings.AUTH_USER_MODEL, _("复核人"), related_name="+")
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    detail_view = "history:detail"

    class Meta:
        verbose_name = verbose_name_plural = _("历史数据导入")
        ordering = ["-prepared_at", "-id"]
        constraints = [
            # A file is posted once, and waits for confirmation once: the same bytes cannot be
            # prepared again while prepared or after being imported.
            models.UniqueConstraint(
                fields=["file_sha256"],
                condition=Q(status__in=["prepared", "confirmed"]),
                name="history_file_once",
            ),
        ]

    def __str__(self) -> str:
        return f"H{self.pk} {self.file_name}"

    @property
    def rows(self) -> int:
        return self.lot_rows + self.allocation_rows + self.recovery_rows


class HistoryEntry(models.Model):
    """导入记账: the ledger posting one row of a confirmed import made.

    ``row_key`` identifies the row's content across files (sheet, what it names, its date and
    amount); it is UNIQUE, so a row already imported, from this file or another, is never posted
    twice.
    """

    history_import = required_link(HistoryImport, _("导入批次"), related_name="entries")
    posting = models.OneToOneField(
        "ledger.Posting", on_delete=models.PROTECT, related_name="history_entry", verbose_name=_("记账批次")
    )
    sheet = models.CharField(_("工作表"), max_length=16)
    row = models.PositiveIntegerField(_("行号"))
    row_key = models.CharField(_("行标识"), max_length=200, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = _("导入记账")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.history_import_id} {self.sheet}:{self.row} -> P{self.posting_id}"
