from django.core.management.base import BaseCommand, CommandError

from totalquota.audit.models import AuditChainHead
from totalquota.audit.selectors import verify_chain


def anchor(text: str) -> tuple[int, str]:
    seq, sep, mac = text.partition(":")
    if not sep or not seq.isdigit() or len(mac) != 64:
        raise ValueError(text)
    return int(seq), mac.lower()


class Command(BaseCommand):
    help = (
        "Link pending audit events, then recompute every link of the audit chain with the keys; report "
        "the first broken link and events left unchained too long (exit 1 if any). Prints the head "
        "(seq:mac) to keep outside the database; --anchor checks such a kept head is still in the chain."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            action="append",
            type=anchor,
            default=[],
            metavar="SEQ:MAC",
            help="a head printed by an earlier run and kept elsewhere (repeatable)",
        )

    def handle(self, *args, **options):
        report = verify_chain(anchors=dict(options["anchor"]))
        if not report.ok:
            raise CommandError("；".join(report.problems()) + f"（已核对 {report.checked} 条）")
        head = AuditChainHead.objects.filter(pk=1).first()
        self.stdout.write(f"审计链完整：已核对 {report.checked} 条记录")
        if head is not None and head.seq:
            self.stdout.write(f"链头 {head.seq}:{head.hash}（请在数据库之外留存，下次以 --anchor 核对）")
