import time

from django.core.management.base import BaseCommand

from totalquota.webhooks.delivery import deliver_due
from totalquota.webhooks.selectors import delivery_counts


class Command(BaseCommand):
    help = (
        "Send due webhook deliveries. The worker (manage.py db_worker) already runs a pass after "
        "every event and at each retry's time; this command runs passes itself: with --once one "
        "pass, then the count in each state; without it, a pass every --interval seconds until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="send everything due now, then exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")

    def handle(self, *args, **options):
        while True:
            received = deliver_due()
            if options["once"]:
                self.stdout.write(f"已送达 {received} 条")
                self.stdout.write("  ".join(f"{state} {n}" for state, n in delivery_counts().items()))
                return
            if not received:
                time.sleep(max(options["interval"], 0.1))
