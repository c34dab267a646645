"""Reference data every deployment needs: the 13 managed pollutants (POLL-1) and their filing
thresholds (RES-2), in force from the start of the 14th Five-Year Plan (SCOPE-1)."""

import datetime as dt

from django.db import migrations

# code, 中文, English, medium, display unit, heavy metal, filing threshold in grams per year
POLLUTANTS = [
    ("PM", "颗粒物", "Particulate matter", "air", "t/a", False, 1_000_000),
    ("SO2", "二氧化硫", "Sulphur dioxide", "air", "t/a", False, 1_000_000),
    ("NOX", "氮氧化物", "Nitrogen oxides", "air", "t/a", False, 1_000_000),
    ("VOCS", "挥发性有机物", "Volatile organic compounds", "air", "t/a", False, 1_000_000),
    ("COD", "化学需氧量", "Chemical oxygen demand", "water", "t/a", False, 1_000_000),
    ("NH3N", "氨氮", "Ammonia nitrogen", "water", "t/a", False, 100_000),
    ("TN", "总氮", "Total nitrogen", "water", "t/a", False, 100_000),
    ("TP", "总磷", "Total phosphorus", "water", "t/a", False, 100_000),
    ("PB", "铅", "Lead", "air_or_water", "kg/a", True, None),
    ("HG", "汞", "Mercury", "air_or_water", "kg/a", True, None),
    ("CD", "镉", "Cadmium", "air_or_water", "kg/a", True, None),
    ("CR", "铬", "Chromium", "air_or_water", "kg/a", True, None),
    ("AS", "砷", "Arsenic", "air_or_water", "kg/a", True, None),
]


def forwards(apps, schema_editor):
    Pollutant = apps.get_model("registry", "Pollutant")
    RuleParameter = apps.get_model("registry", "RuleParameter")
    for order, (code, name, name_en, medium, unit, heavy, threshold) in enumerate(POLLUTANTS, start=1):
        pollutant, _ = Pollutant.objects.update_or_create(
            code=code,
            defaults=dict(name=name, name_en=name_en, medium=medium, display_unit=unit,
                          is_heavy_metal=heavy, sort_order=order * 10),
        )
        if not RuleParameter.objects.filter(key="filing_threshold", pollutant=pollutant).exists():
            RuleParameter.objects.create(
                key="filing_threshold",
                pollutant=pollutant,
                value=threshold,
                effective_from=dt.date(2021, 1, 1),
                clause_id="RES-2",
                source=(
                    "实施细则 四(二).2：全厂新增外排环境量不超过 %s 的备案" % ("1 吨" if threshold == 1_000_000 else "0.1 吨")
                    if threshold is not None
                    else "重金属无备案阈值，任何新增均需审核（平台决定，POLL-1）"
                ),
            )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
