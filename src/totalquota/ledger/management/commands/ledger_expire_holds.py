from django.core.management.base import BaseCommand

from totalquota.ledger.services import holds_expire


class Command(BaseCommand):
    help = "Release every quota hold whose time has run out (run daily)."

    def handle(self, *args, **options):
        released = holds_expire()
        self.stdout.write(f"已释放到期预留 {len(released)} 笔")
