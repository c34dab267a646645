from django.core.management.base import BaseCommand, CommandError

from totalquota.lib.units import format_quantity


class Command(BaseCommand):
    help = (
        "Recompute every ledger balance from the transfers, check every transfer phase, debits = credits "
        "and the audit chain (linking pending events first); the run is stored (the 台账对账 page, "
        "GET /api/v1/ledger/reconcile) and a failed one tells the administrators. --schedule queues "
        "the daily run on the background worker (db_worker) instead; --scheduled runs now as that "
        "daily run (for a cron line where the worker cannot defer tasks)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--skip-audit", action="store_true", help="do not walk the audit chain")
        parser.add_argument(
            "--schedule", action="store_true", help="queue the daily run on the worker (02:30 each night)"
        )
        parser.add_argument(
            "--scheduled", action="store_true", help="run now, stored as the daily scheduled run"
        )

    def handle(self, *args, **options):
        if options["schedule"]:
            from totalquota.ledger.tasks import schedule

            if schedule():
                self.stdout.write("每日台账对账已排入后台任务（每天 02:30）")
            else:
                self.stdout.write(
                    "任务后端不支持定时，请用 cron 每天运行 manage.py ledger_reconcile --scheduled"
                )
            return
        from totalquota.ledger.services import run_reconcile

        run = run_reconcile(
            by="scheduled" if options["scheduled"] else "command", check_audit=not options["skip_audit"]
        )
        self.stdout.write(
            f"对账记录 R{run.pk}：账户 {run.accounts_checked} 个，划转 {run.transfers_checked} 笔；"
            f"借方合计 {format_quantity(run.debits_posted)} t/a，贷方合计 {format_quantity(run.credits_posted)} t/a；"
            f"审计事件 {run.audit_events_checked} 条"
        )
        if run.phases:
            self.stdout.write(
                "按状态："
                + "；".join(
                    f"{phase} {count} 笔 {format_quantity(grams)} t/a"
                    for phase, (count, grams) in run.phases.items()
                )
            )
        if not run.ok:
            for problem in run.problems:
                self.stderr.write(f"不符：{problem}")
            raise CommandError(f"对账未通过：{run.problem_count} 处不符")
        self.stdout.write(self.style.SUCCESS("对账通过：余额、汇总、日变动、来源与审计链均与流水一致"))
