from django.core.management.base import BaseCommand, CommandError

from totalquota.audit import keys as keyring


class Command(BaseCommand):
    help = (
        "Add a new audit chain key to the keyring file (created with mode 0600 if missing); new links "
        "use it, older links keep verifying with their own keys. Back the file up afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="only create the keyring with a first key if there is none",
        )

    def handle(self, *args, **options):
        try:
            if options["if_missing"]:
                if keyring.ensure_key():
                    self.stdout.write(f"已创建审计密钥文件 {keyring.key_file()}：请将其纳入备份")
                return
            key_id = keyring.add_key()
        except keyring.KeyringError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"已添加审计密钥 {key_id}（{keyring.key_file()}）：新记录将使用它；请重新备份该文件"
        )
