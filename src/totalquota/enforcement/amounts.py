"""Penalty amounts: integer fen (分) inside, yuan (元) with at most two decimals at the edges."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext

from totalquota.enforcement.models import MAX_PENALTY_FEN
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import QuantityError, decimal_text


def parse_yuan(value: object, *, field: str = "penalty_yuan") -> int:
    """``value`` (text or an integer, in yuan) as integer fen; refused (422 on ``field``) when it
    is not a plain decimal number, is negative, has more than two decimals (a fen is the smallest
    amount) or exceeds the largest penalty a decision may state."""
    try:
        text = decimal_text(value, what=gettext("罚款金额"))
    except QuantityError as exc:
        raise ValidationFailed(str(exc), field=field, clause="SUP-4") from None
    amount = Decimal(text) * 100
    if amount != amount.to_integral_value():
        raise ValidationFailed(gettext("罚款金额最多保留两位小数（精确到分）"), field=field, clause="SUP-4")
    return check_fen(int(amount), field=field)


def check_fen(fen: object, *, field: str = "penalty_fen") -> int:
    """``fen`` when it is a whole number of fen from zero to the largest penalty, else 422."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValidationFailed(gettext("罚款金额应为整数（分）"), field=field, clause="SUP-4")
    if fen < 0:
        raise ValidationFailed(gettext("罚款金额不能为负数"), field=field, clause="SUP-4")
    if fen > MAX_PENALTY_FEN:
        raise ValidationFailed(
            gettext("罚款金额过大：不能超过 {limit} 元").format(limit=format_yuan(MAX_PENALTY_FEN)),
            field=field,
            clause="SUP-4",
        )
    return fen


def format_yuan(fen: int | None) -> str:
    """``fen`` as yuan with two decimals (``1234567`` → ``"12345.67"``); ``""`` for none."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
