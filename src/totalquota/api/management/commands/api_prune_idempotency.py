from django.conf import settings
from django.core.management.base import BaseCommand

from totalquota.api.idempotency import prune


class Command(BaseCommand):
    help = (
        "Delete the API's Idempotency-Key records older than IDEMPOTENCY_RETENTION_DAYS "
        "(7 days by default; run daily)."
    )

    def handle(self, *args, **options):
        deleted = prune()
        self.stdout.write(f"已删除 {settings.IDEMPOTENCY_RETENTION_DAYS} 天前的幂等记录 {deleted} 条")
