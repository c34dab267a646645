from django.core.management.base import BaseCommand, CommandError

from totalquota.ledger.reconcile import reconcile
from totalquota.lib.units import format_quantity


class Command(BaseCommand):
    help = (
        "Recompute every ledger balance from the transfers, check every transfer phase, debits = credits "
        "and the audit chain (linking pending events first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--skip-audit", action="store_true", help="do not walk the audit chain")

    def handle(self, *args, **options):
        report = reconcile(check_audit=not options["skip_audit"])
        self.stdout.write(
            f"账户 {report.accounts} 个，划转 {report.transfers} 笔；借方合计 {format_quantity(report.debits_posted)} t/a，"
            f"贷方合计 {format_quantity(report.credits_posted)} t/a；审计事件 {report.audit_events} 条"
        )
        if report.phases:
            self.stdout.write(
                "按状态："
                + "；".join(
                    f"{phase} {count} 笔 {format_quantity(grams)} t/a"
                    for phase, (count, grams) in report.phases.items()
                )
            )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"不符：{problem}")
            raise CommandError(f"对账未通过：{len(report.problems)} 处不符")
        self.stdout.write(self.style.SUCCESS("对账通过：余额、汇总、日变动、来源与审计链均与流水一致"))
