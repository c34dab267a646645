"""Quota quantities: integer grams per year inside, t/a and kg/a strings at the edges.

Every quantity the platform stores is an ``int`` number of grams per year. People write tonnes per
year (t/a, up to six decimals, which is one gram) and, for heavy metals, kilograms per year (kg/a,
up to three decimals). This module is the one place that converts between the two; it never uses
floats, and it refuses input it cannot represent exactly instead of rounding it.

It is also the one reading of typed numbers for the whole platform (forms, the API, imports, the
accounting of reductions): plain ASCII decimals only. Full-width digits and the full-width point
(“１２．５”, what Chinese input methods type) are normalised to ASCII by
:func:`normalize_number_text`, visibly: forms show the normalised text back and the API returns
it. Exponents (``1e3``), separators (``1,5``), other scripts' digits (``١٢``), numerals (``½``,
``Ⅻ``), NaN/Infinity and control characters are refused. In the API quantities are JSON strings;
a JSON number or boolean is refused before it reaches this module (``api.fields``).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from totalquota.lib.errors import ValidationFailed

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


class QuantityError(ValidationFailed, ValueError):
    """Input that is not a valid yearly quantity; the message is shown to the user.

    It is a :class:`~totalquota.lib.errors.ValidationFailed`, so wherever it escapes (an API route,
    a service) it is a 422 refusal naming ``field``, never a server error; it stays a ``ValueError``
    for the callers that catch that.
    """

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        if field and "errors" not in kwargs:
            kwargs["errors"] = [{"field": field, "message": str(message)}]
        super().__init__(message, field=field, **kwargs)


# Full-width digits and the full-width decimal point (“１２．５”) are what Chinese input methods
# type by default; they are mapped to ASCII, visibly (forms show the mapped text back, the API
# returns it). Every other non-ASCII digit (Arabic-Indic “١٢”, Devanagari, “½”, “Ⅻ”…) is refused.
_FULL_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0E: ord("."), 0x3000: ord(" ")}
_DECIMAL_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_EXPONENT_RE = re.compile(r"[0-9.][eE][+-]?[0-9]")
# Longer than any quantity a park writes (a billion tonnes with six decimals is 17 characters).
MAX_NUMBER_LENGTH = 40
NUMBER_RULE = (
    '以字符串填写的十进制数，如 "12.5"：只用数字 0-9 和小数点，不用科学计数法、千位分隔符或正负号；'
    "全角数字和全角小数点（如“１２．５”）自动转换为半角，返回转换后的值"
)


# The help text of every field where people type a quantity or a number (forms of all apps).
QUANTITY_HELP = _(
    "全角数字和全角小数点自动转为半角，并按转换后的值显示；不接受科学计数法（如 1e3）、千位分隔符和其他文字的数字"
)


def normalize_form_data(data: Any, names: Any) -> Any:
    """A copy of a form's submitted ``data`` with the fields ``names`` passed through
    :func:`normalize_number_text`, so the form validates and shows back the normalised text
    (“１２．５” comes back as “12.5”, also when another field has an error). ``None`` stays ``None``."""
    if data is None:
        return None
    data = data.copy()
    for name in names:
        value = data.get(name)
        if isinstance(value, str):
            data[name] = normalize_number_text(value)
    return data


def normalize_number_text(text: str) -> str:
    """``text`` with surrounding blanks removed and full-width digits, decimal point and space
    mapped to ASCII (“１２．５” → “12.5”); nothing else changes. The one place this mapping is made:
    forms, the API and imports all call it (through :func:`decimal_text` or directly to show the
    value back)."""
    return text.translate(_FULL_WIDTH).strip()


def decimal_text(value: object, *, what: str = "") -> str:
    """``value`` as a plain ASCII decimal string (``"-"`` allowed in front so callers can say
    "negative"), or :class:`QuantityError` saying why not.

    Text is normalised by :func:`normalize_number_text` and must then be digits with at most one
    decimal point: exponents (``1e3``), thousands separators (``1,5``), other scripts' digits
    (``١٢``), fractions and numerals (``½``, ``Ⅻ``), control characters, NaN and Infinity are all
    refused. ``int`` and finite ``Decimal`` values (from code, and from spreadsheet cells read
    exactly) are written out positionally; a ``float`` is read through its shortest decimal
    representation (``0.1`` is exactly 0.1) and written out without an exponent. Booleans and
    ``None`` are refused. ``what`` names the input in the refusal (default: "数量", in the
    request's language).
    """
    what = what or gettext("数量")
    if isinstance(value, bool) or value is None:
        raise QuantityError(gettext("请输入{what}").format(what=what))
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise QuantityError(gettext("“{value}”不是有限的数字").format(value=value))
        return format(number, "f")
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise QuantityError(gettext("{what}格式不正确：{value}").format(what=what, value=repr(value)))
    text = normalize_number_text(value)
    if not text:
        raise QuantityError(gettext("请输入{what}").format(what=what))
    shown = text if len(text) <= MAX_NUMBER_LENGTH else text[:MAX_NUMBER_LENGTH] + "…"
    shown = "".join(c if c.isprintable() else "�" for c in shown)
    if _DECIMAL_RE.fullmatch(text) is None:
        if text.lstrip("+-").lower() in ("nan", "snan", "inf", "infinity"):
            raise QuantityError(gettext("“{value}”不是有限的数字").format(value=shown))
        if _EXPONENT_RE.search(text):
            raise QuantityError(
                gettext("“{value}”使用了科学计数法，请直接写出数字（如 1000，而不是 1e3）").format(
                    value=shown
                )
            )
        if any(unicodedata.category(c) == "Nd" for c in text if not c.isascii()):
            raise QuantityError(
                gettext("“{value}”含有非阿拉伯数字 0-9 的数字字符，请用 0-9 填写").format(value=shown)
            )
        if "," in text or "，" in text:
            raise QuantityError(
                gettext("“{value}”不是有效的数字：不要用千位分隔符或逗号作小数点").format(value=shown)
            )
        raise QuantityError(gettext("“{value}”不是有效的数字").format(value=shown))
    if len(text) > MAX_NUMBER_LENGTH:
        raise QuantityError(gettext("“{value}”过长，不是合理的{what}").format(value=shown, what=what))
    return text


# The units a quantity may name after its number, whatever the pollutant's display unit: "0.5 kg/a"
# and "0.0005 t/a" are the same 500 grams a year for every pollutant. Matched without regard to
# case; a blank between number and unit is optional.
UNIT_WORDS: dict[str, Unit] = {
    "t/a": Unit.TONNES_PER_YEAR,
    "吨/年": Unit.TONNES_PER_YEAR,
    "kg/a": Unit.KILOGRAMS_PER_YEAR,
    "千克/年": Unit.KILOGRAMS_PER_YEAR,
    "公斤/年": Unit.KILOGRAMS_PER_YEAR,
}
# Longest first, so "kg/a" is not read as "g/a" of something.
_UNIT_SUFFIXES = sorted(UNIT_WORDS, key=len, reverse=True)
# A number followed by something that is meant as a unit (no digits in it; not a separator or an
# exponent, which decimal_text explains better): "5 lb/a", "12 t".
_NAMED_UNIT_RE = re.compile(r"-?[0-9.]+\s*(?P<unit>[^\s0-9.,，+\-][^0-9]*)")


def unit_named(text: str) -> tuple[str, Unit | None]:
    """``text`` split into its number and the unit written after it (``"0.5 kg/a"`` →
    ``("0.5", Unit.KILOGRAMS_PER_YEAR)``), or ``(text, None)`` when no unit is written. A unit
    that is written but not known (``"5 lb/a"``) is a :class:`QuantityError` naming the units
    accepted."""
    folded = text.lower()
    for word in _UNIT_SUFFIXES:
        if folded.endswith(word):
            return text[: -len(word)].rstrip(), UNIT_WORDS[word]
    named = _NAMED_UNIT_RE.fullmatch(text)
    if named is not None and named["unit"].isprintable():
        raise QuantityError(
            gettext("不认识的单位“{unit}”：请用 t/a（吨/年）或 kg/a（千克/年）").format(unit=named["unit"])
        )
    return text, None


def parse_quantity(
    value: object,
    unit: Unit | str = Unit.TONNES_PER_YEAR,
    *,
    allow_zero: bool = True,
    field: str | None = None,
) -> int:
    """Grams per year for ``value``, written in ``unit`` unless it names its own.

    Accepts ``str``, ``int`` and ``Decimal`` (and ``float``, read through its shortest decimal
    representation); text follows :func:`decimal_text` and may end with a unit of
    :data:`UNIT_WORDS` (``"2.5 t/a"``, ``"0.5 kg/a"``, ``"0.5千克/年"``), which then overrides
    ``unit``: a heavy metal may be given in t/a and anything else in kg/a. Refuses negative values
    (``-0`` too), anything finer than a gram and more than :data:`MAX_GRAMS`. ``field`` names the
    input in the refusal (the API's problem document).
    """
    unit = Unit(unit)
    try:
        if isinstance(value, str):
            value, named = unit_named(normalize_number_text(value))
            unit = named or unit
        text = decimal_text(value, what=gettext("数量（单位 {unit}）").format(unit=unit.value))
        number = Decimal(text)
        if text.startswith("-"):
            raise QuantityError(gettext("数量不能为负数：{value} {unit}").format(value=text, unit=unit.value))
        grams = number * unit.grams
        if grams != grams.to_integral_value():
            raise QuantityError(
                gettext("精度过高：{value} {unit} 超过 {places} 位小数（最小单位为 1 克）").format(
                    value=text, unit=unit.value, places=unit.places
                )
            )
        result = int(grams)
        if result > MAX_GRAMS:
            raise QuantityError(gettext("数量过大：{value} {unit}").format(value=text, unit=unit.value))
        if result == 0 and not allow_zero:
            raise QuantityError(gettext("数量必须大于零"))
    except QuantityError as exc:
        if field is None:
            raise
        raise QuantityError(exc.message, field=field) from None
    return result


def normalize_quantity(value: object, unit: Unit | str = Unit.TONNES_PER_YEAR) -> str:
    """The text a form shows back and the API returns for an accepted ``value``: the exact
    quantity in ``unit`` without trailing zeros (“１２．５０” → “12.5”)."""
    return format_quantity(parse_quantity(value, unit), unit)


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
