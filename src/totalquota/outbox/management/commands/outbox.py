from django.core.management.base import BaseCommand

from totalquota.outbox import deliver_pending, requeue_dead
from totalquota.outbox.selectors import dead_deliveries, delivery_counts


class Command(BaseCommand):
    help = (
        "Outbox deliveries: without options, the count in each state and the dead ones. The worker "
        "is manage.py db_worker, which runs a pass after every commit that emitted events and at "
        "each retry's time; --once runs one pass here (cron, or with no worker running)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="deliver everything due now, then exit")
        parser.add_argument(
            "--requeue-dead",
            action="store_true",
            help="put dead deliveries back to pending with a fresh count of tries (before --once)",
        )
        parser.add_argument("--handler", default=None, help="with --requeue-dead: only this handler's")

    def handle(self, *args, **options):
        if options["requeue_dead"]:
            self.stdout.write(f"已重新排队 {requeue_dead(handler=options['handler'])} 条投递")
        if options["once"]:
            self.stdout.write(f"已投递 {deliver_pending()} 条")
        if options["requeue_dead"] or options["once"]:
            return
        self.stdout.write("  ".join(f"{state} {n}" for state, n in delivery_counts().items()))
        for delivery in dead_deliveries()[:50]:
            error = delivery.last_error.strip().splitlines()[-1:] or [""]
            self.stdout.write(f"dead #{delivery.pk} {delivery.handler} {delivery.event}: {error[0]}")
