"""Application transitions become the shared workflow transition: the action taken, the actor's
role and the rule parameters used. Existing rows get their action from the status change and the
role of their actor where known.

The table is append-only (``common.append_only``): its triggers are lifted for the column changes
(SQLite rebuilds the table, which would drop them) and the backfill, and installed again at the end.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from totalquota.common import append_only

TABLE = "reserve_applicationtransition"

# (from status, to status) -> action; a pair not listed takes the action of its target status.
ACTION_OF_CHANGE = {("", "draft"): "create"}
ACTION_OF_TARGET = {
    "submitted": "submit",
    "withdrawn": "withdraw",
    "proposed": "propose",
    "approved": "approve",
    "rejected": "reject",
    "draft": "create",
}


def lift_triggers(apps, schema_editor):
    for sql in append_only.drop_sql(schema_editor.connection.vendor, TABLE):
        schema_editor.execute(sql, params=None)


def restore_triggers(apps, schema_editor):
    for sql in append_only.create_sql(schema_editor.connection.vendor, TABLE):
        schema_editor.execute(sql, params=None)


def backfill(apps, schema_editor):
    Transition = apps.get_model("reserve", "ApplicationTransition")
    for row in Transition.objects.select_related("actor").filter(action=""):
        row.action = ACTION_OF_CHANGE.get(
            (row.from_status, row.to_status), ACTION_OF_TARGET.get(row.to_status, "")
        )
        row.role = (row.actor.role or "") if row.actor is not None else ""
        row.save(update_fields=["action", "role"])


class Migration(migrations.Migration):

    dependencies = [
        ('reserve', '0003_one_pending_intake_per_quarter'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(lift_triggers, restore_triggers, elidable=False),
        migrations.AddField(
            model_name='applicationtransition',
            name='action',
            field=models.CharField(blank=True, max_length=16, verbose_name='操作'),
        ),
        migrations.AddField(
            model_name='applicationtransition',
            name='role',
            field=models.CharField(blank=True, max_length=16, verbose_name='角色'),
        ),
        migrations.AddField(
            model_name='applicationtransition',
            name='rules',
            field=models.JSONField(blank=True, default=list, verbose_name='所用规则参数'),
        ),
        migrations.AlterField(
            model_name='applicationtransition',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人'),
        ),
        migrations.AlterField(
            model_name='applicationtransition',
            name='at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='时间'),
        ),
        migrations.AlterField(
            model_name='applicationtransition',
            name='from_status',
            field=models.CharField(blank=True, max_length=16, verbose_name='原状态'),
        ),
        migrations.AlterField(
            model_name='applicationtransition',
            name='reason',
            field=models.TextField(blank=True, verbose_name='理由或意见'),
        ),
        migrations.AlterField(
            model_name='applicationtransition',
            name='to_status',
            field=models.CharField(max_length=16, verbose_name='新状态'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        append_only.operation(TABLE),
    ]
