from django.core.management.base import BaseCommand

from totalquota.accounts.models import User
from totalquota.demo.accounts import DEMO_LOGINS
from totalquota.demo.context import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demo logins, one per role."

    def handle(self, *args, **options):
        present = set(
            User.objects.filter(username__in=[u for _r, u, _n in DEMO_LOGINS]).values_list(
                "username", flat=True
            )
        )
        if not present:
            self.stdout.write("（数据库中没有演示账号）")
            return
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for role, username, note in DEMO_LOGINS:
            if username in present:
                self.stdout.write(f"  {role:<14} {username:<14} {note}")
