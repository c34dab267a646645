from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import (
    MAX_GRAMS,
    QuantityError,
    Unit,
    decimal_text,
    format_quantity,
    normalize_number_text,
    normalize_quantity,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "unit", "grams"),
    [
        ("1", "t/a", 1_000_000),
        ("0.1", "t/a", 100_000),
        ("0.000001", "t/a", 1),
        ("12.345678", "t/a", 12_345_678),
        (" 2.5 t/a", "t/a", 2_500_000),
        ("1.0000000", "t/a", 1_000_000),
        ("0.001", "kg/a", 1),
        ("3.2", "kg/a", 3_200),
        (0.1, "t/a", 100_000),
        (7, "t/a", 7_000_000),
        (Decimal("0.25"), "t/a", 250_000),
        ("0", "t/a", 0),
    ],
)
def test_it_reads_tonnes_and_kilograms_exactly(text, unit, grams):
    assert parse_quantity(text, unit) == grams


@pytest.mark.parametrize(
    ("value", "unit", "fragment"),
    [
        ("-1", "t/a", "负数"),
        ("-0.000001", "t/a", "负数"),
        ("abc", "t/a", "不是有效的数字"),
        ("1,5", "t/a", "不是有效的数字"),
        ("NaN", "t/a", "有限"),
        ("Infinity", "t/a", "有限"),
        (float("inf"), "t/a", "有限"),
        ("0.0000001", "t/a", "精度过高"),
        ("0.0001", "kg/a", "精度过高"),
        (1.23456789, "t/a", "精度过高"),
        ("", "t/a", "请输入"),
        (None, "t/a", "请输入"),
        (True, "t/a", "请输入"),
        ("1000000001", "t/a", "过大"),
        ("1e3", "t/a", "科学计数法"),
        ("1E-3", "t/a", "科学计数法"),
        ("1e309", "t/a", "科学计数法"),
        ("١٢", "t/a", "0-9"),
        ("१२", "t/a", "0-9"),
        ("½", "t/a", "不是有效的数字"),
        ("Ⅻ", "t/a", "不是有效的数字"),
        ("1\x00", "t/a", "不是有效的数字"),
        ("\u200b1", "t/a", "不是有效的数字"),
        ("+1", "t/a", "不是有效的数字"),
        ("1,000", "t/a", "千位分隔符"),
        ("9" * 400, "t/a", "过长"),
        ("-0", "t/a", "负数"),
    ],
)
def test_it_refuses_bad_quantities_with_a_chinese_reason(value, unit, fragment):
    with pytest.raises(QuantityError, match=fragment):
        parse_quantity(value, unit)


def test_it_can_refuse_zero():
    with pytest.raises(QuantityError, match="大于零"):
        parse_quantity("0", allow_zero=False)


def test_it_writes_grams_without_losing_any():
    assert format_quantity(1_500_000) == "1.5"
    assert format_quantity(1) == "0.000001"
    assert format_quantity(0) == "0"
    assert format_quantity(1_500_000, places=3, suffix=True) == "1.500 t/a"
    assert format_quantity(1_234_567, places=3) == "1.234567"  # never rounds grams away
    assert format_quantity(3_200, Unit.KILOGRAMS_PER_YEAR, suffix=True) == "3.2 kg/a"


@given(st.integers(min_value=0, max_value=MAX_GRAMS), st.sampled_from(list(Unit)))
def test_writing_then_reading_gives_the_same_grams(grams, unit):
    assert parse_quantity(format_quantity(grams, unit), unit) == grams
    assert parse_quantity(format_quantity(grams, unit, suffix=True), unit) == grams


def test_it_never_takes_floats_for_grams():
    with pytest.raises(TypeError):
        format_quantity(1.5)  # type: ignore[arg-type]


def test_full_width_digits_and_point_are_read_as_ascii_and_shown_back_normalised():
    assert normalize_number_text(" １２．５\u3000") == "12.5"
    assert parse_quantity("１２．５") == 12_500_000
    assert parse_quantity("１２．５ t/a") == 12_500_000
    assert normalize_quantity("１２．５０") == "12.5"


def test_numbers_from_code_and_cells_are_written_out_without_an_exponent():
    assert decimal_text(Decimal("5E-5")) == "0.00005"
    assert decimal_text(0.00005) == "0.00005"
    assert decimal_text(Decimal("1E+3")) == "1000"
    assert parse_quantity(0.00005) == 50


def test_a_refusal_is_a_validation_failure_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        parse_quantity("1e3", field="lines.0.new_discharge")
    assert refused.value.status == 422
    assert refused.value.errors == [{"field": "lines.0.new_discharge", "message": refused.value.message}]


@pytest.mark.parametrize(
    ("value", "english"),
    [
        ("1e3", "uses scientific notation"),
        ("1,5", "use no thousands separators"),
        ("-2", "A quantity cannot be negative: -2 t/a"),
        ("0.0000001", "has more than 6 decimal places"),
        ("abc", "“abc” is not a valid number"),
    ],
)
def test_a_refusal_is_written_in_the_language_of_the_request(value, english):
    from django.utils import translation

    with translation.override("en"), pytest.raises(QuantityError) as refused:
        parse_quantity(value, Unit.TONNES_PER_YEAR)
    assert english in str(refused.value.message)
    with translation.override("zh-hans"), pytest.raises(QuantityError) as chinese:
        parse_quantity(value, Unit.TONNES_PER_YEAR)
    assert english not in str(chinese.value.message)


@pytest.mark.parametrize(
    ("text", "unit", "grams"),
    [
        ("0.5 kg/a", Unit.TONNES_PER_YEAR, 500),
        ("0.5kg/a", Unit.TONNES_PER_YEAR, 500),
        ("0.5 KG/A", Unit.TONNES_PER_YEAR, 500),
        ("0.5 千克/年", Unit.TONNES_PER_YEAR, 500),
        ("0.5公斤/年", Unit.TONNES_PER_YEAR, 500),
        ("0.0005 t/a", Unit.KILOGRAMS_PER_YEAR, 500),
        ("0.0005 吨/年", Unit.KILOGRAMS_PER_YEAR, 500),
        ("2.5 t/a", Unit.TONNES_PER_YEAR, 2_500_000),
        ("3 kg/a", Unit.KILOGRAMS_PER_YEAR, 3_000),
        ("０．５ kg/a", Unit.TONNES_PER_YEAR, 500),
    ],
)
def test_a_unit_written_after_the_number_overrides_the_pollutants_unit(text, unit, grams):
    assert parse_quantity(text, unit) == grams


@pytest.mark.parametrize(
    ("text", "unit", "reason"),
    [
        ("5 lb/a", Unit.TONNES_PER_YEAR, "不认识的单位“lb/a”"),
        ("12 t", Unit.TONNES_PER_YEAR, "不认识的单位“t”"),
        ("0.0005 kg/a", Unit.TONNES_PER_YEAR, "超过 3 位小数"),
        ("0.0000001 t/a", Unit.KILOGRAMS_PER_YEAR, "超过 6 位小数"),
        ("-1 kg/a", Unit.TONNES_PER_YEAR, "不能为负数"),
        ("kg/a", Unit.TONNES_PER_YEAR, "请输入"),
        ("1e3 kg/a", Unit.TONNES_PER_YEAR, "科学计数法"),
    ],
)
def test_a_written_unit_is_held_to_its_own_precision_and_unknown_units_are_named(text, unit, reason):
    with pytest.raises(QuantityError) as refused:
        parse_quantity(text, unit)
    assert reason in str(refused.value)
