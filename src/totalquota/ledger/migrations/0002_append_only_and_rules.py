"""Transfers, postings and their origins refuse UPDATE and DELETE at the database; the default hold
period is a rule parameter (RES-2)."""

import datetime as dt

from django.db import migrations

from totalquota.common import append_only


def seed_rules(apps, schema_editor):
    RuleParameter = apps.get_model("registry", "RuleParameter")
    if not RuleParameter.objects.filter(key="ledger_hold_timeout_days").exists():
        RuleParameter.objects.create(
            key="ledger_hold_timeout_days",
            value=90,
            effective_from=dt.date(2021, 1, 1),
            clause_id="RES-2",
            source="平台决定：申请未决期间预留指标默认 90 天，到期未处理自动释放（可由管理员调整）",
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("registry", "0002_pollutants")]

    operations = [
        append_only.operation("ledger_posting"),
        append_only.operation("ledger_transfer"),
        append_only.operation("ledger_transferorigin"),
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
    ]
