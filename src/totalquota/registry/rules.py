"""Rule parameters as effective-dated data: the kinds of keys and how to read them.

Every rule the park's implementation rules fix by number (filing thresholds, balance ratios, the
80 % recovery line, deadlines, warning levels) is a :class:`~totalquota.registry.models.RuleParameter`
row, never a literal in code. Apps register their keys here with :func:`register`; readers call
:func:`rule_value`, which returns the value together with the row and clause it came from, and
decisions store that snapshot (:meth:`RuleValue.snapshot`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from totalquota.lib.errors import RuleViolation


@dataclass(frozen=True)
class RuleKey:
    """A kind of parameter: ``kind`` is ``grams``, ``ratio`` ([num, den]), ``basis_points``,
    ``days``, ``month_day`` ("MM-DD"), ``int`` or ``text``.

    ``name`` is the short Chinese name pages show (``label`` explains the rule); ``choices`` is the
    ``TextChoices`` a ``text`` value's codes (comma-separated) are named from, so a page shows
    "地表水考核断面" rather than ``WATER``.
    """

    key: str
    kind: str
    clause_id: str
    label: str | Promise
    per_pollutant: bool = False
    per_zone: bool = False
    name: Any = ""  # a (lazily) translated text
    choices: Any = None

    @property
    def title(self) -> str:
        return str(self.name) if self.name else str(self.label).split("：")[0]

    def display(self, value: Any, unit: Any = None) -> str:
        """``value`` as a person reads it: grams in t/a (or ``unit``), a ratio as 2:1, basis points as
        a percentage, codes by their Chinese names, and "不适用" for none."""
        return display_value(self.kind, value, unit=unit, choices=self.choices)


RULE_KEYS: dict[str, RuleKey] = {}


def register(
    key: RuleKey | str,
    kind: str = "",
    clause_id: str = "",
    label: str | Promise = "",
    *,
    per_pollutant: bool = False,
    per_zone: bool = False,
    name: Any = "",
) -> RuleKey:
    """Add a key to :data:`RULE_KEYS`: a :class:`RuleKey`, or its fields
    (``register("filing_threshold", "grams", "RES-2", label, per_pollutant=True)``)."""
    rule = (
        key
        if isinstance(key, RuleKey)
        else RuleKey(key, kind, clause_id, label, per_pollutant, per_zone, name)
    )
    RULE_KEYS[rule.key] = rule
    return rule


FILING_THRESHOLD = register(
    "filing_threshold",
    "grams",
    "RES-2",
    _("备案阈值：全厂新增外排环境量不超过该值时备案，否则审核（为空表示任何新增均需审核）"),
    per_pollutant=True,
    name=_("备案阈值"),
)


def display_value(kind: str, value: Any, *, unit: Any = None, choices: Any = None) -> str:
    """A rule value written for a page or a spreadsheet (see :meth:`RuleKey.display`)."""
    from django.utils.translation import gettext

    from totalquota.lib.units import Unit, format_quantity

    if value is None or value == "" or value == []:
        return gettext("不适用")
    if kind == "grams" and type(value) is int:
        return format_quantity(value, unit or Unit.TONNES_PER_YEAR, suffix=True)
    if kind == "ratio" and isinstance(value, list) and len(value) == 2:
        return f"{value[0]}:{value[1]}"
    if kind == "basis_points" and type(value) is int:
        return format(Decimal(value).scaleb(-2).normalize(), "f") + "%"
    if kind == "days" and type(value) is int:
        return gettext("%(n)d 天") % {"n": value}
    if kind == "month_day" and isinstance(value, str) and _month_day_ok(value):
        return gettext("%(m)d月%(d)d日") % {"m": int(value[:2]), "d": int(value[3:])}
    if kind == "text" and choices is not None and isinstance(value, str):
        names = dict(choices.choices)
        return "、".join(
            str(names.get(code.strip(), code.strip())) for code in value.split(",") if code.strip()
        )
    return str(value)


def check_value(kind: str, value: Any) -> None:
    """Refuse a value that does not fit ``kind`` (used by the admin form and the seed)."""
    ok = {
        "grams": lambda v: v is None or (type(v) is int and v >= 0),
        "ratio": lambda v: isinstance(v, list) and len(v) == 2 and all(type(x) is int and x > 0 for x in v),
        "basis_points": lambda v: type(v) is int and 0 <= v <= 100_000,
        "days": lambda v: type(v) is int and v >= 0,
        "int": lambda v: type(v) is int,
        "month_day": lambda v: isinstance(v, str) and _month_day_ok(v),
        "text": lambda v: isinstance(v, str),
    }[kind]
    if not ok(value):
        raise RuleViolation(gettext("参数取值 {value!r} 不符合类型 {kind}").format(value=value, kind=kind))


def _month_day_ok(text: str) -> bool:
    try:
        dt.date(2024, int(text[:2]), int(text[3:]))
    except (ValueError, IndexError):
        return False
    return len(text) == 5 and text[2] == "-"


@dataclass(frozen=True)
class RuleValue:
    """A parameter value as read on a date, with where it came from."""

    key: str
    value: Any
    parameter_id: int
    clause_id: str
    effective_from: dt.date
    pollutant_code: str | None
    zone_code: str | None

    @property
    def ratio(self) -> Fraction:
        num, den = self.value
        return Fraction(num, den)

    def snapshot(self) -> dict[str, Any]:
        """What a decision stores so it can be explained later."""
        return {
            "key": self.key,
            "value": self.value,
            "parameter_id": self.parameter_id,
            "clause_id": self.clause_id,
            "effective_from": self.effective_from.isoformat(),
            "pollutant": self.pollutant_code,
            "zone": self.zone_code,
        }


def rule_value(
    key: str,
    on: dt.date,
    *,
    pollutant: Any = None,
    zone: Any = None,
) -> RuleValue:
    """The parameter ``key`` in force on ``on`` for ``pollutant`` and ``zone``.

    The most specific row wins: zone and pollutant, then pollutant only, then zone only, then the
    park-wide row. Raises :class:`RuleViolation` when no row is in force, naming the key, so a
    missing parameter is an administrator's task, not a silent default.
    """
    from totalquota.registry.models import RuleParameter

    rows = (
        RuleParameter.objects.filter(key=key, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
        .filter(Q(pollutant__isnull=True) | Q(pollutant=pollutant))
        .filter(Q(zone__isnull=True) | Q(zone=zone))
        .select_related("pollutant", "zone")
    )
    best = None
    best_rank: tuple[int, int, dt.date, int] | None = None
    for row in rows:
        rank = (row.zone_id is not None, row.pollutant_id is not None, row.effective_from, row.pk)
        if best_rank is None or rank > best_rank:
            best, best_rank = row, rank
    if best is None:
        label = RULE_KEYS[key].label if key in RULE_KEYS else key
        raise RuleViolation(
            gettext("{v0} 没有生效的规则参数“{label}”，请管理员在规则参数中补充").format(
                v0=on.isoformat(), label=label
            ),
            clause="PLAT-1",
        )
    return RuleValue(
        key=key,
        value=best.value,
        parameter_id=best.pk,
        clause_id=best.clause_id,
        effective_from=best.effective_from,
        pollutant_code=best.pollutant.code if best.pollutant else None,
        zone_code=best.zone.code if best.zone else None,
    )
