"""``manage.py reserve_warnings``: the daily warning check of the reserve (RES-3)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from totalquota.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "--check stores today's warning level of every zone and pollutant and emits "
        "reserve.warning.raised for each one that rose to attention or warning; running it again "
        "the same day raises nothing new. --schedule queues the daily check on the background "
        "worker (db_worker) instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="run the check now")
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
        )
        parser.add_argument(
            "--schedule", action="store_true", help="queue the daily check on the worker (07:30 each day)"
        )

    def handle(self, *args, **options):
        if options["schedule"]:
            from totalquota.reserve.tasks import schedule

            if schedule():
                self.stdout.write("每日储备预警检查已排入后台任务（每天 07:30）")
            else:
                self.stdout.write("任务后端不支持定时，请用 cron 每天运行 manage.py reserve_warnings --check")
            return
        if not options["check"]:
            raise CommandError("请指定 --check（立即检查）或 --schedule（排入每日后台任务）")
        from totalquota.reserve.services.warnings import warnings_check

        try:
            raised = warnings_check(today=options["today"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"储备预警检查完成：新升级 {len(raised)} 项")
