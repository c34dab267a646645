from django.core.management.base import BaseCommand, CommandError

from totalquota.audit import chain
from totalquota.audit import keys as keyring
from totalquota.audit.selectors import grace_seconds


class Command(BaseCommand):
    help = (
        "Link audit events committed but not linked yet (normally done right after each commit). "
        "Safe to run at any time and periodically; the first run also carries the older SHA-256 "
        "chain into the keyed chain after verifying it."
    )

    def handle(self, *args, **options):
        try:
            linked = chain.chain_pending()
        except (chain.ChainRefused, keyring.KeyringError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已入链 {linked} 条审计事件（入链时限 {grace_seconds()} 秒）")
