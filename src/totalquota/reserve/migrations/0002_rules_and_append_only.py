"""Default rule parameters of the reserve (RES-1 … RES-4), and append-only application history."""

import datetime as dt

from django.db import migrations

from totalquota.common import append_only

START = dt.date(2021, 1, 1)
# (key, pollutant code or None, value, clause, source)
DEFAULTS = [
    ("balance_ratio", None, [1, 1], "RES-2", "平台决定：默认平衡比例 1:1（可按污染物、功能区另设）"),
    ("balance_ratio_nonattainment", "VOCS", [2, 1], "RES-2", "臭氧超标地区 VOCs 按 2 倍削减替代（平台决定，参照重点区域总量替代要求）"),
    ("balance_ratio_nonattainment", "NOX", [2, 1], "RES-2", "臭氧超标地区 NOx 按 2 倍削减替代（平台决定）"),
    ("balance_ratio_nonattainment", "PM", [2, 1], "RES-2", "PM2.5 超标地区颗粒物按 2 倍削减替代（平台决定）"),
    ("balance_ratio_nonattainment", None, [1, 1], "RES-2", "其他因子不达标时的默认比例（平台决定）"),
    ("attainment_indicator", "VOCS", "O3", "RES-2", "VOCs 为臭氧前体物"),
    ("attainment_indicator", "NOX", "O3", "RES-2", "NOx 为臭氧前体物"),
    ("attainment_indicator", "PM", "PM25", "RES-2", "颗粒物对应 PM2.5 达标情况"),
    ("attainment_indicator", "SO2", "SO2", "RES-2", "二氧化硫"),
    ("attainment_indicator", "COD", "WATER", "RES-2", "水污染物对应地表水考核断面达标情况"),
    ("attainment_indicator", "NH3N", "WATER", "RES-2", "同上"),
    ("attainment_indicator", "TN", "WATER", "RES-2", "同上"),
    ("attainment_indicator", "TP", "WATER", "RES-2", "同上"),
    ("recovery_threshold_bp", None, 8000, "RES-4", "实施细则 四(二).4：实际排放量低于许可量 80%"),
    ("recovery_ratio", None, [1, 1], "RES-4", "平台决定：富余量按 1:1 收回入库"),
    ("recovery_operation_days", None, 365, "RES-4", "实施细则 四(二).4：正式投运一年后"),
    ("warning_coverage_attention_bp", None, 15000, "RES-3", "平台决定：可用储备不足待批需求的 1.5 倍时关注"),
    ("warning_coverage_warning_bp", None, 10000, "RES-3", "平台决定：可用储备不足以覆盖待批需求时预警"),
    ("warning_spend_attention_bp", None, 10000, "RES-3", "平台决定：期间支出超过收入时关注"),
    ("warning_spend_warning_bp", None, 15000, "RES-3", "平台决定：期间支出超过收入 1.5 倍时预警"),
]


def forwards(apps, schema_editor):
    RuleParameter = apps.get_model("registry", "RuleParameter")
    Pollutant = apps.get_model("registry", "Pollutant")
    for key, code, value, clause, source in DEFAULTS:
        pollutant = Pollutant.objects.get(code=code) if code else None
        if not RuleParameter.objects.filter(key=key, pollutant=pollutant, zone=None).exists():
            RuleParameter.objects.create(key=key, pollutant=pollutant, value=value, effective_from=START,
                                         clause_id=clause, source=source)


class Migration(migrations.Migration):
    dependencies = [("reserve", "0001_initial"), ("registry", "0002_pollutants")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        append_only.operation("reserve_applicationtransition"),
    ]
