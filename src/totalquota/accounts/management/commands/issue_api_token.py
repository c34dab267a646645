from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from totalquota.accounts.models import User
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_check, token_issue
from totalquota.lib.errors import DomainError
from totalquota.registry.models import Enterprise, Zone


class Command(BaseCommand):
    help = (
        "Issue a bearer token for a system client account (printed once; only its digest is stored). "
        "Every argument is checked before anything is saved: a refused token leaves no account behind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help="username of the system client account")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. 项目审批系统")
        parser.add_argument("--role", default=Role.SYSTEM, choices=[r.value for r in Role])
        parser.add_argument("--zone", help="zone code to limit the token to")
        parser.add_argument(
            "--enterprise", help="unified social credit code of the unit to limit the token to"
        )
        parser.add_argument(
            "--days",
            type=int,
            help="lifetime in days (default: the API_TOKEN_LIFETIME_DAYS setting)",
        )
        parser.add_argument(
            "--create-client", action="store_true", help="create the system client account if missing"
        )

    def handle(self, *args, **options):
        client = User.objects.filter(username=options["client"]).first()
        if client is None and not options["create_client"]:
            raise CommandError(
                f"没有用户名为 {options['client']} 的账号（可加 --create-client 创建系统对接账号）"
            )
        zone = enterprise = None
        if options["zone"]:
            zone = Zone.objects.filter(code=options["zone"]).first()
            if zone is None:
                raise CommandError(f"功能区代码 {options['zone']} 不存在")
        if options["enterprise"]:
            enterprise = Enterprise.objects.filter(uscc=options["enterprise"].upper()).first()
            if enterprise is None:
                raise CommandError(f"统一社会信用代码 {options['enterprise']} 未登记")
        try:
            # Every check first; the account and the token are then saved in one transaction, so a
            # refusal still raised by the issue rolls the new account back with it.
            token_check(
                name=options["name"],
                role=options["role"],
                zone=zone,
                enterprise=enterprise,
                lifetime_days=options["days"],
            )
            with transaction.atomic():
                if client is None:
                    client = User(username=options["client"], role=Role.SYSTEM, display_name=options["name"])
                    client.set_unusable_password()
                    client.save()
                token, text = token_issue(
                    actor=None,
                    name=options["name"],
                    client=client,
                    role=options["role"],
                    zone=zone,
                    enterprise=enterprise,
                    lifetime_days=options["days"],
                )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"已签发令牌 {token.name}（前缀 {token.prefix}，有效期至 {token.expires_at:%Y-%m-%d}）。"
            "请立即保存，令牌只显示这一次："
        )
        self.stdout.write(text)
