"""``manage.py emission_reminders``: the platform's reminders of the day (TOT-2)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from totalquota.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Remind every listed unit that has not reported and whose report is due within "
        "report_reminder_days or overdue: one reminder a unit and day, so running it again the same "
        "day adds none. --schedule queues the daily run on the background worker (db_worker) instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
        )
        parser.add_argument(
            "--year", type=int, default=None, help="emission year (default: the year before today)"
        )
        parser.add_argument(
            "--schedule", action="store_true", help="queue the daily run on the worker (08:00 each day)"
        )

    def handle(self, *args, **options):
        if options["schedule"]:
            from totalquota.emissions.tasks import schedule

            if schedule():
                self.stdout.write("每日催报已排入后台任务（每天 08:00）")
            else:
                self.stdout.write("任务后端不支持定时，请用 cron 每天运行 manage.py emission_reminders")
            return
        from totalquota.emissions.services.listing import reminders_daily

        try:
            created = reminders_daily(today=options["today"], year=options["year"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已发送 {created} 条催报提醒")
