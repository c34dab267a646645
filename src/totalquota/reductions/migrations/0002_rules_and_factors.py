"""Rule parameters of the reduction library (RED-2, RED-3) and a few well-sourced emission factors.

Factors published in US units are converted exactly (1 lb = 453.59237 g, 1 ft³ = 0.028316846592 m³,
1 US gal = 3.785411784 L) and stored as exact fractions; no temperature/pressure correction is
applied to gas volumes (AP-42 scf are at 60 °F, 1 atm), which the source detail says.
"""

import datetime as dt
from fractions import Fraction

from django.db import migrations

START = dt.date(2021, 1, 1)

RULES = [
    (
        "reduction_previous_year_deadline",
        "02-29",
        "RED-3",
        "实施细则 四.3：每年 2 月底前完成上一年度项目申报（02-29 在平年按 2 月 28 日计）",
    ),
    ("reduction_round_reminder_days", 14, "RED-3", "平台决定：申报截止前 14 天起在工作台提醒"),
    (
        "reduction_required_evidence",
        "acceptance",
        "RED-3",
        "实施细则 四.3 (3)：每个减排项目须有竣工验收（关停确认）材料",
    ),
    (
        "reduction_computed_evidence",
        "accounting",
        "RED-2",
        "实施细则 四.2、四.3 (3)：按公式核算的项目须提交主要污染物总量减排核算过程及依据",
    ),
]

LB = Fraction("453.59237")  # g
FT3 = Fraction("0.028316846592")  # m³
GAL = Fraction("3.785411784")  # L
# lb per 10^6 scf -> kg per 10^4 m³; lb per 10^3 gal -> kg per m³
PER_MMSCF = LB / 1000 / (10**6 * FT3) * 10**4
PER_KGAL = LB / 1000 / (10**3 * GAL / 1000)

AP42_NG = "US EPA AP-42 第五版第一卷 1.4 节 Natural Gas Combustion（1998 年 7 月）"
AP42_OIL = "US EPA AP-42 第五版第一卷 1.3 节 Fuel Oil Combustion（2010 年 5 月）"
AP42_GAS = "US EPA AP-42 第五版第一卷 5.2 节 Transportation and Marketing of Petroleum Liquids（2008 年 6 月）"
NG_NOTE = "，按 1 lb = 453.59237 g、1 ft³ = 0.028316846592 m³ 换算，未作温压校正"
OIL_NOTE = "，按 1 lb = 453.59237 g、1 US gal = 3.785411784 L 换算"

# code, name, pollutant, value (Fraction), unit, source, source detail
FACTORS = [
    ("AP42-1.4-NOX-UNC", "天然气锅炉（小型，未控制）氮氧化物", "NOX", 100 * PER_MMSCF, "kg/万m³", AP42_NG,
     "表 1.4-1：小型锅炉（<100 MMBtu/h）未控制 100 lb/10⁶ scf" + NG_NOTE),
    ("AP42-1.4-NOX-LNB", "天然气锅炉（小型，低氮燃烧器）氮氧化物", "NOX", 50 * PER_MMSCF, "kg/万m³", AP42_NG,
     "表 1.4-1：小型锅炉低氮燃烧器 50 lb/10⁶ scf" + NG_NOTE),
    ("AP42-1.4-SO2", "天然气燃烧 二氧化硫", "SO2", Fraction("0.6") * PER_MMSCF, "kg/万m³", AP42_NG,
     "表 1.4-2：SO₂ 0.6 lb/10⁶ scf" + NG_NOTE),
    ("AP42-1.4-PM", "天然气燃烧 颗粒物（总）", "PM", Fraction("7.6") * PER_MMSCF, "kg/万m³", AP42_NG,
     "表 1.4-2：PM（总）7.6 lb/10⁶ scf" + NG_NOTE),
    ("AP42-1.4-VOC", "天然气燃烧 挥发性有机物", "VOCS", Fraction("5.5") * PER_MMSCF, "kg/万m³", AP42_NG,
     "表 1.4-2：VOC 5.5 lb/10⁶ scf" + NG_NOTE),
    ("AP42-1.3-NOX-DIST", "柴油（2 号馏分油）锅炉 氮氧化物", "NOX", 20 * PER_KGAL, "kg/m³", AP42_OIL,
     "表 1.3-1：馏分油锅炉 NOx 20 lb/10³ gal" + OIL_NOTE),
    ("AP42-1.3-PM-DIST", "柴油（2 号馏分油）锅炉 颗粒物（可过滤）", "PM", 2 * PER_KGAL, "kg/m³", AP42_OIL,
     "表 1.3-1：馏分油锅炉可过滤颗粒物 2 lb/10³ gal" + OIL_NOTE),
    ("AP42-5.2-REFUEL-UNC", "汽油加油置换损失（未控制）", "VOCS", Fraction(1320), "g/m³", AP42_GAS,
     "表 5.2-7：车辆加油置换损失（未控制）1320 mg/L（= g/m³）"),
    ("AP42-5.2-REFUEL-SPILL", "汽油加油溢洒损失", "VOCS", Fraction(80), "g/m³", AP42_GAS,
     "表 5.2-7：加油溢洒 80 mg/L（= g/m³）"),
    ("AP42-5.2-FILL-SUB", "汽油储罐卸油（液下装载）", "VOCS", Fraction(880), "g/m³", AP42_GAS,
     "表 5.2-7：地下储罐液下装载 880 mg/L（= g/m³）"),
]


def exact(value: Fraction) -> str:
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    text = f"{value.numerator * 10**places // value.denominator:0{places + 1}d}"
    return (text[:-places] + "." + text[-places:]) if places else text


def forwards(apps, schema_editor):
    RuleParameter = apps.get_model("registry", "RuleParameter")
    Pollutant = apps.get_model("registry", "Pollutant")
    Factor = apps.get_model("reductions", "AccountingFactor")
    for key, value, clause, source in RULES:
        if not RuleParameter.objects.filter(key=key).exists():
            RuleParameter.objects.create(
                key=key, value=value, effective_from=START, clause_id=clause, source=source
            )
    for code, name, pollutant, value, unit, source, detail in FACTORS:
        Factor.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name,
                kind="emission",
                pollutant=Pollutant.objects.filter(code=pollutant).first(),
                value=exact(value),
                unit=unit,
                source=source,
                source_detail=detail,
                effective_from=START,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("reductions", "0001_initial"), ("registry", "0002_pollutants")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
