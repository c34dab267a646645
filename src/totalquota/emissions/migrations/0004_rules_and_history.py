"""The emission total library's rule defaults (domain §7) and its append-only history.

Deadlines: the management list by the end of February (TOT-1), reports by 31 March (TOT-2),
reminders from 7 days before. Consistency (TOT-3): a tolerance of 5 % of the accepted figure for
every source and pollutant, never for a difference under 0.01 t/a (0.1 kg/a for heavy metals).
Determination (TOT-3): no improvement cut and no total-control cap until the bureau sets them per
zone and pollutant.
"""

import datetime as dt

from django.db import migrations

from totalquota.common import append_only

START = dt.date(2021, 1, 1)
SOURCES = ("execution", "statistics", "disclosure", "online")
HEAVY_METALS = ("PB", "HG", "CD", "CR", "AS")


def forwards(apps, schema_editor):
    RuleParameter = apps.get_model("registry", "RuleParameter")
    Pollutant = apps.get_model("registry", "Pollutant")

    def seed(key, value, clause, source, pollutant=None):
        if not RuleParameter.objects.filter(key=key, pollutant=pollutant, zone=None).exists():
            RuleParameter.objects.create(
                key=key, value=value, pollutant=pollutant, effective_from=START, clause_id=clause, source=source
            )

    seed("list_deadline", "02-29", "TOT-1", "实施细则五.1：每年 2 月底前确定重点排污单位名录")
    seed("report_deadline", "03-31", "TOT-2", "实施细则五.2：每年 3 月底前报送上年度排放情况")
    seed("report_reminder_days", 7, "TOT-2", "平台决定：截止日前 7 天起提醒尚未报送的单位")
    for kind in SOURCES:
        seed(f"tolerance_bp_{kind}", 500, "TOT-3", "平台决定：与单位申报数相差超过 5% 时提示")
    seed("tolerance_floor", 10_000, "TOT-3", "平台决定：差值小于 0.01 t/a 时不提示")
    for code in HEAVY_METALS:
        metal = Pollutant.objects.filter(code=code).first()
        if metal is not None:
            seed("tolerance_floor", 100, "TOT-3", "平台决定：重金属差值小于 0.1 kg/a 时不提示", pollutant=metal)
    seed("improvement_target_bp", 0, "TOT-3", "默认不削减；由生态环境局按功能区、污染物设定改善目标")
    seed("total_control_grams", None, "TOT-3", "默认不设上限；由生态环境局按功能区、污染物设定总量控制量")


class Migration(migrations.Migration):
    dependencies = [("emissions", "0003_total_library"), ("registry", "0002_pollutants")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        append_only.operation("emissions_reporttransition"),
        append_only.operation("emissions_listchange"),
        append_only.operation("emissions_technicalopinion"),
    ]
