from django.db import migrations

from totalquota.common import append_only


class Migration(migrations.Migration):
    """The audit log refuses UPDATE and DELETE at the database."""

    dependencies = [("audit", "0001_initial")]

    operations = [append_only.operation("audit_auditevent")]
