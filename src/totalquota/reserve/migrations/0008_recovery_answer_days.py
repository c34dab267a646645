"""The RES-4 answer period (default 15 days) and append-only intake and recovery history."""

import datetime as dt

from django.db import migrations

from totalquota.common import append_only

START = dt.date(2021, 1, 1)


def forwards(apps, schema_editor):
    RuleParameter = apps.get_model("registry", "RuleParameter")
    if not RuleParameter.objects.filter(key="recovery_answer_days", pollutant=None, zone=None).exists():
        RuleParameter.objects.create(
            key="recovery_answer_days",
            value=15,
            effective_from=START,
            clause_id="RES-4",
            source="平台决定：收回前告知单位拟收回量，单位可在 15 日内陈述意见",
        )


class Migration(migrations.Migration):
    dependencies = [("reserve", "0007_four_eyes"), ("registry", "0002_pollutants")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        append_only.operation("reserve_intaketransition"),
        append_only.operation("reserve_recoverytransition"),
    ]
