from django.core.management.base import BaseCommand, CommandError

from totalquota.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link (exit 1 if broken)."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"审计链断裂：序号 {report.broken_at}：{report.reason}（已核对 {report.checked} 条）"
            )
        self.stdout.write(f"审计链完整：已核对 {report.checked} 条记录")
