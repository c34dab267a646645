"""List, and with ``--delete`` remove, stored evidence files that no evidence record names.

Uploads are written before their row commits; an upload whose transaction rolled back after
``evidence_add`` returned (a caller's enclosing transaction failing) leaves its bytes behind.
Files younger than ``--min-age-hours`` are left alone, since their row may still be committing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from totalquota.reductions import selectors, services
from totalquota.reductions.models import Evidence


class Command(BaseCommand):
    help = "找出（--delete 时删除）没有佐证材料记录引用的已存文件。"

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="删除找到的文件（默认只列出）")
        parser.add_argument("--min-age-hours", type=float, default=24, help="只处理早于该小时数的文件")

    def handle(self, *args, delete: bool, min_age_hours: float, **options):
        orphans = selectors.orphan_evidence_files(
            older_than=timezone.now() - dt.timedelta(hours=min_age_hours)
        )
        if delete:
            orphans = services.orphan_evidence_files_delete(orphans)
        for name in orphans:
            self.stdout.write(name)
        verb = "已删除" if delete else "发现"
        self.stdout.write(
            f"{verb}无记录引用的文件 {len(orphans)} 个（共检查 {Evidence.objects.count()} 条佐证材料记录）"
        )
