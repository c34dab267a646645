"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

Eighteen characters: registration authority (1), entity category (1), administrative division (6
digits), organisation code (9), check character (1). The character set is the digits and the
capital letters without I, O, Z, S and V. Registration authorities other than market regulation
(9) issue codes that begin with other digits or with letters (e.g. ``Y`` for "others", ``N`` for
agriculture); those codes are valid too, which is why this module does not require the first eight
characters to be digits.
"""

from __future__ import annotations

from django.utils.translation import gettext

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class USCCError(ValueError):
    """A code that is not a valid unified social credit code; the message is shown to the user."""


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    """Upper-case ``code`` and drop spaces and hyphens that people type or paste."""
    return "".join(str(code).split()).replace("-", "").upper()


def validate(code: str) -> str:
    """The normalized code, or :class:`USCCError` saying what is wrong with it."""
    value = normalize(code)
    if len(value) != 18:
        raise USCCError(gettext("统一社会信用代码应为 18 位，当前为 {v0} 位").format(v0=len(value)))
    bad = [c for c in value if c not in ALPHABET]
    if bad:
        raise USCCError(
            gettext("统一社会信用代码含有不允许的字符：{}（不使用 I、O、Z、S、V）").format(
                "".join(sorted(set(bad)))
            )
        )
    if not value[2:8].isdigit():
        raise USCCError(gettext("统一社会信用代码第 3–8 位应为行政区划代码（数字）"))
    expected = check_character(value[:17])
    if value[17] != expected:
        raise USCCError(
            gettext("统一社会信用代码校验位错误：应为 {expected}，实为 {v1}").format(
                expected=expected, v1=value[17]
            )
        )
    return value


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except USCCError:
        return False
    return True


def complete(first17: str) -> str:
    """``first17`` with its check character appended (demo data and tests)."""
    value = normalize(first17)
    if len(value) != 17:
        raise USCCError("need 17 characters")
    return value + check_character(value)
