"""Quota quantities: integer grams per year inside, t/a and kg/a strings at the edges.

Every quantity the platform stores is an ``int`` number of grams per year. People write tonnes per
year (t/a, up to six decimals, which is one gram) and, for heavy metals, kilograms per year (kg/a,
up to three decimals). This module is the one place that converts between the two; it never uses
floats, and it refuses input it cannot represent exactly instead of rounding it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum

GRAMS_PER_TONNE = 1_000_000
GRAMS_PER_KILOGRAM = 1_000
# One billion tonnes a year: far beyond any park, and far inside a 64-bit column.
MAX_GRAMS = 10**15


class Unit(StrEnum):
    """Display units for yearly quantities."""

    TONNES_PER_YEAR = "t/a"
    KILOGRAMS_PER_YEAR = "kg/a"

    @property
    def grams(self) -> int:
        return GRAMS_PER_TONNE if self is Unit.TONNES_PER_YEAR else GRAMS_PER_KILOGRAM

    @property
    def places(self) -> int:
        """Decimal places that still name a whole gram."""
        return 6 if self is Unit.TONNES_PER_YEAR else 3


class QuantityError(ValueError):
    """Input that is not a valid yearly quantity; the message is shown to the user."""


def parse_quantity(value: object, unit: Unit | str = Unit.TONNES_PER_YEAR, *, allow_zero: bool = True) -> int:
    """Grams per year for ``value`` written in ``unit``.

    Accepts ``str``, ``int`` and ``Decimal``; a ``float`` (as openpyxl returns for numeric cells) is
    read through its shortest decimal representation, so ``0.1`` means exactly 0.1. Refuses
    negative, non-numeric, NaN/Infinity, booleans and anything finer than a gram.
    """
    unit = Unit(unit)
    if isinstance(value, bool) or value is None:
        raise QuantityError(f"请输入数量（单位 {unit.value}）")
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, int | Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
        for suffix in (unit.value, unit.value.upper()):
            if text.endswith(suffix):
                text = text[: -len(suffix)].strip()
    else:
        raise QuantityError(f"数量格式不正确：{value!r}")
    if not text:
        raise QuantityError(f"请输入数量（单位 {unit.value}）")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise QuantityError(f"“{text}”不是有效的数字") from None
    if not number.is_finite():
        raise QuantityError(f"“{text}”不是有限的数字")
    if number < 0 or (number == 0 and number.is_signed() and text.startswith("-")):
        raise QuantityError(f"数量不能为负数：{text} {unit.value}")
    grams = number * unit.grams
    if grams != grams.to_integral_value():
        raise QuantityError(f"精度过高：{text} {unit.value} 超过 {unit.places} 位小数（最小单位为 1 克）")
    result = int(grams)
    if result > MAX_GRAMS:
        raise QuantityError(f"数量过大：{text} {unit.value}")
    if result == 0 and not allow_zero:
        raise QuantityError("数量必须大于零")
    return result


def grams_to_decimal(grams: int, unit: Unit | str = Unit.TONNES_PER_YEAR) -> Decimal:
    """The exact ``Decimal`` value of ``grams`` in ``unit`` (for spreadsheets and charts)."""
    unit = Unit(unit)
    if isinstance(grams, bool) or not isinstance(grams, int):
        raise TypeError(f"grams must be an int, got {grams!r}")
    return (Decimal(grams) / unit.grams).quantize(Decimal(1).scaleb(-unit.places))


def format_quantity(
    grams: int, unit: Unit | str = Unit.TONNES_PER_YEAR, *, places: int | None = None, suffix: bool = False
) -> str:
    """``grams`` written in ``unit``: exact, trailing zeros trimmed unless ``places`` fixes them.

    >>> format_quantity(1_500_000)
    '1.5'
    >>> format_quantity(1_500_000, places=3, suffix=True)
    '1.500 t/a'
    """
    unit = Unit(unit)
    value = grams_to_decimal(grams, unit)
    if places is None:
        text = format(value.normalize(), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        if places < unit.places and value != round(value, places):
            places = unit.places  # never hide grams by rounding
        text = format(value, f".{places}f")
    if text == "-0":
        text = "0"
    return f"{text} {unit.value}" if suffix else text
