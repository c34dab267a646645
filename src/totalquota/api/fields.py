"""Field types the API schemas and query parameters share for quantities and dates.

Quantities travel as strings, never JSON numbers: a JSON number is a binary float in most
clients (0.1 + 0.2), and quota is exact integer grams. :data:`QuantityText` refuses numbers,
booleans and ``null`` with a clear 422 before any handler runs; the handler then reads the text
with :func:`totalquota.lib.units.parse_quantity` in the pollutant's unit. Dates carry their
plausible range (lib.dates) in the OpenAPI description; the services check it before writing.
A date query parameter (``as_of: AsOfDay | None = None``, :data:`SinceDay`, :data:`UntilDay`) is checked against
the query range while the request is read, with the same problem document as the services' check.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from totalquota.lib import dates
from totalquota.lib.units import NUMBER_RULE


def _only_text(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise PydanticCustomError(
        "quantity_not_text",
        '数量须以字符串填写，如 "12.5"：不接受 JSON 数字、布尔值或 null（避免浮点误差）',
    )


QUANTITY_DESCRIPTION = "数量（按该污染物的显示单位 t/a 或 kg/a，最多精确到 1 克），" + NUMBER_RULE
QuantityText = Annotated[
    str,
    BeforeValidator(_only_text),
    Field(description=QUANTITY_DESCRIPTION, examples=["12.5"]),
]
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
