from django.core.management.base import BaseCommand, CommandError

from totalquota.accounts.models import User
from totalquota.inbound.models import Source
from totalquota.inbound.services import partner_register
from totalquota.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Say which partner system (approval, permit, enforcement) a system client account speaks for: "
        "its tokens (issue_api_token) may then post that system's events to /api/v1/events/<source>."
    )

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help="username of the system client account")
        parser.add_argument("--source", required=True, choices=Source.values)

    def handle(self, *args, **options):
        client = User.objects.filter(username=options["client"]).first()
        if client is None:
            raise CommandError(
                f"没有用户名为 {options['client']} 的账号（先用 issue_api_token --create-client 创建）"
            )
        try:
            partner = partner_register(actor=None, client=client, source=options["source"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已登记：{partner}")
