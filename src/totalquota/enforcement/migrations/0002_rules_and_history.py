"""Enforcement's rule default (domain §8) and its append-only records.

SUP-4: after a notice the unit may answer within 15 days. The history of a finding, its notice,
the unit's answer and the credit entries are append-only.
"""

import datetime as dt

from django.db import migrations

from totalquota.common import append_only

START = dt.date(2021, 1, 1)


def forwards(apps, schema_editor):
    RuleParameter = apps.get_model("registry", "RuleParameter")
    if not RuleParameter.objects.filter(key="finding_answer_days", pollutant=None, zone=None).exists():
        RuleParameter.objects.create(
            key="finding_answer_days",
            value=15,
            effective_from=START,
            clause_id="SUP-4",
            source="监督执法阶段：告知后单位可在 15 日内陈述申辩（领域决定 §8）",
        )


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0001_initial"), ("registry", "0002_pollutants")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        append_only.operation("enforcement_findingtransition"),
        append_only.operation("enforcement_notice"),
        append_only.operation("enforcement_answer"),
        append_only.operation("enforcement_creditentry"),
    ]
