"""Each accounting method against an example worked by hand (RED-2).

The arithmetic in the comments is the reviewer's own; the functions must agree to the gram, and
round down whenever the exact result is not a whole gram.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from tests.page_text import BARE_GRAMS
from totalquota.reductions import accounting as acc
from totalquota.reductions.accounting import AccountingError, Factor, SolventUse

KG_A = ("kg/a", 1000)


def test_closure_books_the_closed_sources_baseline_emission():
    # A paint line that emitted 2.5 t/a of VOCs is shut down: 2.5 t/a = 2 500 000 g reduced.
    result = acc.closure(baseline=F("2.5"), basis="2023 年排污许可执行报告")
    assert (result.baseline_grams, result.post_grams, result.reduction_grams) == (2_500_000, 0, 2_500_000)
    assert "2023 年排污许可执行报告" in result.text
    assert "基准排放量 2.500000 t/a，减排量 2.500000 t/a" in result.text
    assert not BARE_GRAMS.search(result.text)


def test_closure_of_a_heavy_metal_source_is_in_kilograms():
    # 12.345 kg/a of lead = 12 345 g.
    result = acc.closure(baseline=F("12.345"), unit=KG_A)
    assert result.reduction_grams == 12_345
    assert "12.345 kg/a" in result.text
    assert "减排量 12.345 kg/a" in result.text and not BARE_GRAMS.search(result.text)


def test_solvent_substitution_compares_before_and_after_at_the_same_output():
    # Before: 120 t × 60 % × (1 − 80 % × 90 %) = 120 × 0.6 × 0.28 = 20.16 t/a
    # After:  150 t × 5 % × (1 − 80 % × 90 %) = 150 × 0.05 × 0.28 = 2.1 t/a at 1 200 units of output,
    #         which is 2.1 × 1 000 / 1 200 = 1.75 t/a at the earlier 1 000 units.
    # Reduction: 20.16 − 1.75 = 18.41 t/a = 18 410 000 g.
    result = acc.solvent_substitution(
        before=SolventUse(F(120), F("0.6"), F("0.8"), F("0.9")),
        after=SolventUse(F(150), F("0.05"), F("0.8"), F("0.9")),
        output_before=F(1000),
        output_after=F(1200),
    )
    assert result.baseline_grams == 20_160_000
    assert result.post_grams == 1_750_000
    assert result.reduction_grams == 18_410_000
    assert "20.16 t/a" in result.text and "1.75 t/a" in result.text


def test_solvent_substitution_without_outputs_takes_the_materials_as_they_are():
    # 10 t × 50 % × (1 − 0) = 5 t before; 10 t × 10 % = 1 t after; 4 t reduced.
    result = acc.solvent_substitution(
        before=SolventUse(F(10), F("0.5"), F(0), F(0)), after=SolventUse(F(10), F("0.1"), F(0), F(0))
    )
    assert result.reduction_grams == 4_000_000


def test_a_result_that_is_not_a_whole_gram_is_rounded_down_never_up():
    # Before 1 t; after 1 t at three times the output, i.e. 1/3 t at the same output.
    # Reduction 2/3 t = 666 666.67 g, booked as 666 666 g; the baseline stays 1 000 000 g.
    result = acc.solvent_substitution(
        before=SolventUse(F(1), F(1), F(0), F(0)),
        after=SolventUse(F(1), F(1), F(0), F(0)),
        output_before=F(1),
        output_after=F(3),
    )
    assert result.reduction == F(2_000_000, 3)
    assert result.reduction_grams == 666_666
    assert result.baseline_grams == 1_000_000
    assert "向下取整" in result.text


def test_treatment_upgrade_counts_the_change_in_what_escapes():
    # 50 t/a generated; hood 30 % × photo-oxidation 50 % lets 50 × (1 − 0.15) = 42.5 t/a escape;
    # enclosure 90 % × catalytic combustion 95 % lets 50 × (1 − 0.855) = 7.25 t/a escape.
    # Reduction 35.25 t/a.
    result = acc.treatment_upgrade(
        generated=F(50),
        capture_before=F("0.3"),
        removal_before=F("0.5"),
        capture_after=F("0.9"),
        removal_after=F("0.95"),
    )
    assert (result.baseline_grams, result.post_grams, result.reduction_grams) == (
        42_500_000,
        7_250_000,
        35_250_000,
    )


def test_fuel_switch_to_electricity_removes_the_whole_combustion_emission():
    # 100 万m³ of gas × 16 kg/万m³ NOx = 1 600 kg = 1.6 t/a; after the switch nothing is burnt.
    gas = Factor(F(16), "kg/万m³", code="TEST-NG")
    result = acc.fuel_switch(fuel_before=F(100), factor_before=gas, fuel_after=F(0), factor_after=None)
    assert result.reduction_grams == 1_600_000
    assert "100 万m³ × 16 kg/万m³（TEST-NG）" in result.text


def test_fuel_switch_from_oil_to_gas_with_treatment_on_both_sides():
    # Before: 500 m³ diesel × 2.4 kg/m³ × (1 − 0 %) = 1 200 kg.
    # After: 60 万m³ gas × 8 kg/万m³ × (1 − 50 %) = 240 kg.  Reduction 960 kg = 0.96 t/a.
    oil = Factor(F("2.4"), "kg/m³")
    gas = Factor(F(8), "kg/万m³")
    result = acc.fuel_switch(
        fuel_before=F(500), factor_before=oil, fuel_after=F(60), factor_after=gas, removal_after=F("0.5")
    )
    assert (result.baseline_grams, result.post_grams, result.reduction_grams) == (1_200_000, 240_000, 960_000)


def test_fuel_switch_with_an_exact_converted_ap42_factor_keeps_every_gram_it_can_prove():
    # AP-42: 100 lb/10⁶ scf. In kg/万m³ that is 100 × 453.59237 g / 28 316.846592 m³ × 10⁴ / 1 000,
    # = 16.01846337… kg/万m³; 100 万m³ burnt emits 1 601.846337… kg, booked as 1 601 846 g.
    per_10k_m3 = F(100) * F("453.59237") / F("28316.846592") * 10_000 / 1000
    result = acc.fuel_switch(
        fuel_before=F(100), factor_before=Factor(per_10k_m3, "kg/万m³"), fuel_after=F(0), factor_after=None
    )
    assert result.reduction_grams == 1_601_846
    assert result.reduction > 1_601_846


def test_wastewater_is_flow_times_concentration():
    # 100 000 m³/a × 80 mg/L = 8 000 000 g; after: 90 000 m³/a × 30 mg/L = 2 700 000 g; 5.3 t/a.
    result = acc.wastewater(
        flow_before=F(100_000), concentration_before=F(80), flow_after=F(90_000), concentration_after=F(30)
    )
    assert (result.baseline_grams, result.post_grams, result.reduction_grams) == (
        8_000_000,
        2_700_000,
        5_300_000,
    )


def test_vapour_recovery_counts_the_efficiency_gain():
    # 10 000 m³/a petrol × 1 320 g/m³ = 13.2 t/a uncontrolled; recovery 0 % → 90 %:
    # 13.2 × 0.9 = 11.88 t/a reduced.
    factor = Factor(F(1320), "g/m³", code="AP42-5.2-REFUEL-UNC")
    result = acc.vapour_recovery(
        throughput=F(10_000), factor=factor, efficiency_before=F(0), efficiency_after=F("0.9")
    )
    assert (result.baseline_grams, result.post_grams, result.reduction_grams) == (
        13_200_000,
        1_320_000,
        11_880_000,
    )


def test_a_documented_figure_is_taken_as_the_document_states_it():
    result = acc.documented(
        baseline=F(3), reduction=F("1.2"), source="acceptance", document="园环验〔2025〕12 号"
    )
    assert (result.baseline_grams, result.post_grams, result.reduction_grams) == (
        3_000_000,
        1_800_000,
        1_200_000,
    )
    assert "竣工环境保护验收报告：园环验〔2025〕12 号" in result.text


def test_a_documented_reduction_larger_than_its_baseline_is_refused():
    with pytest.raises(AccountingError, match="不能大于基准排放量"):
        acc.documented(baseline=F(1), reduction=F(2), source="permit", document="x")


def test_a_project_that_emits_more_afterwards_has_no_reduction():
    with pytest.raises(AccountingError, match="没有减排量"):
        acc.wastewater(flow_before=F(1), concentration_before=F(1), flow_after=F(2), concentration_after=F(1))


def test_a_reduction_below_one_gram_is_refused_rather_than_booked_as_zero():
    with pytest.raises(AccountingError, match="为零"):
        acc.closure(baseline=F("0.0000001"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-1", "不能为负数"),
        ("1.0000001", "精度过高"),
        ("NaN", "不是有限"),
        ("abc", "不是有效"),
        ("", "请填写"),
    ],
)
def test_numbers_are_parsed_exactly_or_refused(text, message):
    with pytest.raises(AccountingError, match=message):
        acc.parse_number(text, label="用量")


def test_percentages_above_100_are_refused_through_evaluate():
    with pytest.raises(AccountingError, match="不能超过 100"):
        acc.evaluate(
            acc.METHODS["treatment"],
            {
                "generated": "1",
                "capture_before": "10",
                "removal_before": "10",
                "capture_after": "101",
                "removal_after": "90",
                "basis": "设计文件",
            },
        )


def test_evaluate_stores_the_exact_strings_and_factor_snapshots_so_the_line_can_be_recomputed():
    factor = Factor(F(1320), "g/m³", source="AP-42 5.2", id=7, code="AP42-5.2-REFUEL-UNC")
    raw = {"throughput": "8000.5", "efficiency_before": "0", "efficiency_after": "85.5", "basis": "台账"}
    computation, stored = acc.evaluate(acc.METHODS["vapour"], raw, factors={"factor": factor})
    assert stored["throughput"] == "8000.5"
    assert stored["factor"] == {
        "factor_id": 7,
        "code": "AP42-5.2-REFUEL-UNC",
        "value": "1320",
        "unit": "g/m³",
        "source": "AP-42 5.2",
    }
    # 8 000.5 × 1 320 × 0.855 = 9 029 364.3 g → 9 029 364 g
    assert computation.reduction_grams == 9_029_364
    again = acc.recompute("vapour", stored)
    assert again.reduction_grams == computation.reduction_grams and again.text == computation.text


def test_a_rational_factor_survives_the_round_trip_through_its_stored_text():
    value = F(28349523125, 1769802912)
    assert acc.parse_factor_value(acc.fraction_text(value)) == value
    assert acc.fraction_text(F("2.5")) == "2.5"


def test_every_method_names_the_pollutants_it_applies_to():
    assert acc.METHODS["solvent"].allows("VOCS") and not acc.METHODS["solvent"].allows("COD")
    assert acc.METHODS["wastewater"].allows("COD") and not acc.METHODS["wastewater"].allows("NOX")
    assert acc.METHODS["documented"].allows("HG")
