"""Field types the API schemas and query parameters share for quantities and dates.

Quantities travel as strings, never JSON numbers: a JSON number is a binary float in most
clients (0.1 + 0.2), and quota is exact integer grams. :data:`QuantityText` refuses numbers,
booleans and ``null`` with a clear 422 before any handler runs; it takes a unit written after the
number (``"0.5 kg/a"``) or a ``{"value", "unit"}`` object, and the handler then reads the text with
:func:`totalquota.lib.units.parse_quantity`, in the pollutant's unit unless the text names one. Dates carry their
plausible range (lib.dates) in the OpenAPI description; the services check it before writing.
A date query parameter (``as_of: AsOfDay | None = None``, :data:`SinceDay`, :data:`UntilDay`) is checked against
the query range while the request is read, with the same problem document as the services' check.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils.translation import gettext
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from totalquota.lib import dates
from totalquota.lib.units import NUMBER_RULE, UNIT_WORDS


def _only_text(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise PydanticCustomError(
        "quantity_not_text",
        gettext('数量须以字符串填写，如 "12.5"：不接受 JSON 数字、布尔值或 null（避免浮点误差）'),
    )


def _quantity_input(value: Any) -> Any:
    """A quantity as the text :func:`~totalquota.lib.units.parse_quantity` reads: a string as it
    is (``"12.5"``, ``"0.5 kg/a"``), or a ``{"value": "0.5", "unit": "kg/a"}`` object joined to
    ``"0.5 kg/a"``. The value must be a string in both forms."""
    if isinstance(value, dict):
        if set(value) != {"value", "unit"}:
            raise PydanticCustomError(
                "quantity_object",
                gettext(
                    '数量须为字符串，或只含 value 和 unit 两项的对象，如 {{"value": "0.5", "unit": "kg/a"}}'
                ),
            )
        unit = value["unit"]
        if not isinstance(unit, str) or unit.strip().lower() not in UNIT_WORDS:
            raise PydanticCustomError(
                "quantity_unit", gettext("单位须为 {units} 之一"), {"units": ", ".join(UNIT_WORDS)}
            )
        return f"{_only_text(value['value'])} {unit.strip()}"
    return _only_text(value)


QUANTITY_DESCRIPTION = (
    "数量：字符串，按该污染物的显示单位（重金属 kg/a，其他 t/a）读，最多精确到 1 克；也可写明单位，"
    '如 "0.5 kg/a"、"0.0005 t/a"，或写成对象 {"value": "0.5", "unit": "kg/a"}，任何污染物都可用 '
    "t/a 或 kg/a。" + NUMBER_RULE
)
_QUANTITY_SCHEMA: dict[str, Any] = {
    "description": QUANTITY_DESCRIPTION,
    "oneOf": [
        {"type": "string", "examples": ["12.5", "0.5 kg/a", "0.0005 t/a"]},
        {
            "type": "object",
            "properties": {
                "value": {"type": "string", "examples": ["0.5"]},
                "unit": {"type": "string", "enum": list(UNIT_WORDS)},
            },
            "required": ["value", "unit"],
            "additionalProperties": False,
        },
    ],
}
QuantityText = Annotated[str, BeforeValidator(_quantity_input), WithJsonSchema(_QUANTITY_SCHEMA)]
NUMBER_DESCRIPTION = "核算参数：数值参数按" + NUMBER_RULE + "；文字和选项参数为字符串"
InputText = Annotated[str, BeforeValidator(_only_text), Field(max_length=1000)]


def day(day_range: dates.DateRange, extra: str = "") -> Any:
    """A date field's ``Field`` with its range and reason as the OpenAPI description."""
    return Field(description=dates.describe(day_range, extra))


def optional_day(day_range: dates.DateRange, extra: str = "") -> Any:
    return Field(None, description=dates.describe(day_range, extra))


def in_query_range(label: str) -> Any:
    """The check of a date query parameter named ``label`` (e.g. 查询日期): a day outside
    :data:`totalquota.lib.dates.QUERY_DAY` is refused with the 422 problem document of
    :meth:`~totalquota.lib.dates.DateRange.check`, naming the parameter."""

    def check(day: dt.date, info: ValidationInfo) -> dt.date:
        return dates.QUERY_DAY.check(day, label=label, field=info.field_name or "")

    return AfterValidator(check)


_QUERY_DAY_DESCRIPTION = dates.describe(dates.QUERY_DAY)
AsOfDay = Annotated[dt.date, in_query_range("查询日期"), Field(description=_QUERY_DAY_DESCRIPTION)]
SinceDay = Annotated[dt.date, in_query_range("起始日期"), Field(description=_QUERY_DAY_DESCRIPTION)]
UntilDay = Annotated[dt.date, in_query_range("截止日期"), Field(description=_QUERY_DAY_DESCRIPTION)]

# A record's id in a request body: a positive 64-bit integer, so an id no database could hold is a
# 422 while the request is read, not an overflow in the query.
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]

# Used in the query of a paginated route, these aliases must be evaluated where the route is
# defined: ninja reads the parameters through the pagination wrapper, whose globals are not the
# module's, so such modules do without ``from __future__ import annotations``.

# A year in a query string: within the platform's dates (1990 to 2100); any other year is a typo,
# and one beyond the database's integers used to reach the query and fail there.
QueryYear = Annotated[
    int, Field(ge=dates.EARLIEST.year, le=dates.LATEST.year, description="年度（1990–2100）/ year")
]
