"""The RES-3 forecast: the drawdown of the last four whole quarters, and cover lines of twelve
months (attention) and six months (warning)."""

import datetime as dt

from django.db import migrations

START = dt.date(2021, 1, 1)
# (key, value, source)
DEFAULTS = [
    ("warning_drawdown_quarters", 4, "平台决定：月均消耗按统计截止日之前最近 4 个完整季度的储备支出计算"),
    ("warning_cover_attention_months", 12, "平台决定：满足待批需求后的储备按月均消耗不足 12 个月时关注"),
    ("warning_cover_warning_months", 6, "平台决定：满足待批需求后的储备按月均消耗不足 6 个月时预警"),
]


def forwards(apps, schema_editor):
    RuleParameter = apps.get_model("registry", "RuleParameter")
    for key, value, source in DEFAULTS:
        if not RuleParameter.objects.filter(key=key, pollutant=None, zone=None).exists():
            RuleParameter.objects.create(
                key=key, value=value, effective_from=START, clause_id="RES-3", source=source
            )


class Migration(migrations.Migration):
    dependencies = [("reserve", "0010_attainment_moves_to_registry"), ("registry", "0002_pollutants")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
