"""Keyed chain: links in their own append-only table, written after the business commit.

The plain SHA-256 chain columns of existing events are kept (renamed ``v1_*``) and the head's
values move to ``v1_seq``/``v1_hash``: they are the anchor the keyed chain starts from. Linking
the existing events needs the key, which lives outside the database, so it is not done here but
by the chainer the first time it runs (``manage.py audit_chain``; see the README, 审计链): it
verifies the old chain first and refuses if it is broken.
"""

import django.db.models.deletion
from django.db import migrations, models

from totalquota.common import append_only


def move_head_to_v1(apps, schema_editor):
    Head = apps.get_model("audit", "AuditChainHead")
    Event = apps.get_model("audit", "AuditEvent")
    head = Head.objects.filter(pk=1).first()
    if head is None:  # nothing was ever recorded: the chainer creates the head when it first runs
        return
    head.v1_seq, head.v1_hash = head.seq, head.hash
    has_v1 = Event.objects.filter(v1_seq__isnull=False).exists()
    head.seq, head.hash, head.carried = 0, "", not has_v1
    head.save()


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.RenameField("auditevent", "seq", "v1_seq"),
        migrations.RenameField("auditevent", "prev_hash", "v1_prev_hash"),
        migrations.RenameField("auditevent", "hash", "v1_hash"),
        migrations.AlterField(
            "auditevent", "v1_seq", models.BigIntegerField(blank=True, null=True, unique=True)
        ),
        migrations.AlterField("auditevent", "v1_prev_hash", models.CharField(blank=True, max_length=64)),
        migrations.AlterField(
            "auditevent", "v1_hash", models.CharField(blank=True, max_length=64, null=True, unique=True)
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["-id"], "verbose_name": "审计事件", "verbose_name_plural": "审计事件"},
        ),
        migrations.AddField("auditchainhead", "head_mac", models.CharField(blank=True, max_length=64)),
        migrations.AddField("auditchainhead", "key_id", models.CharField(blank=True, max_length=32)),
        migrations.AddField("auditchainhead", "algorithm", models.CharField(blank=True, max_length=16)),
        migrations.AddField("auditchainhead", "v1_seq", models.BigIntegerField(default=0)),
        migrations.AddField("auditchainhead", "v1_hash", models.CharField(blank=True, max_length=64)),
        migrations.AddField("auditchainhead", "carried", models.BooleanField(default=False)),
        migrations.CreateModel(
            name="AuditLink",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(unique=True, verbose_name="序号")),
                ("prev", models.CharField(max_length=64)),
                ("mac", models.CharField(max_length=64)),
                ("key_id", models.CharField(max_length=32)),
                ("algorithm", models.CharField(max_length=16)),
                ("linked_at", models.DateTimeField()),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="link", to="audit.auditevent"
                    ),
                ),
            ],
            options={"verbose_name": "审计链环节", "ordering": ["seq"]},
        ),
        migrations.CreateModel(
            name="AuditPending",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="audit.auditevent",
                    ),
                ),
            ],
            options={"verbose_name": "待入链审计事件"},
        ),
        migrations.RunPython(move_head_to_v1, migrations.RunPython.noop),
        # Rebuilding a table on SQLite (the column changes above) drops its triggers: put them back.
        append_only.operation("audit_auditevent"),
        append_only.operation("audit_auditlink"),
    ]
