"""减排量核算 (RED-2): the accounting methods, as pure functions over exact numbers.

Every method turns the inputs a preparer entered (exact decimal strings, and the factors they
chose) into the baseline emission, the emission after the project and the reduction, all in grams
per year, together with a trace a reviewer can read and recompute by hand. No Django here but
translation (labels are ``gettext_lazy``, traces ``gettext`` in the active language): inputs
are :class:`~decimal.Decimal` / :class:`~fractions.Fraction`, arithmetic is exact, and the one
rounding step is explicit.

**Rounding rule.** Each quantity is computed exactly as a fraction; the stored gram amounts are
rounded *down* to the whole gram (``floor``), so the platform never books more reduction than the
inputs support. Because the baseline is at least the reduction before rounding, it still is after.

**Units.** Percentages are written 0-100 ("85" is 85 %). Masses of material are in tonnes per year
(t/a); pollutant amounts in the pollutant's unit (t/a, or kg/a for heavy metals); wastewater flow
in m³/a and concentration in mg/L (1 m³ × 1 mg/L = 1 g); emission factors carry their own unit
(kg/万m³, kg/m³, g/m³ = mg/L, kg/t), which names the activity unit the matching input is in.
Factors and efficiencies are data with a source (``AccountingFactor`` rows or typed values with a
stated basis), never constants in this module.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from totalquota.lib.units import MAX_GRAMS as UNITS_MAX_GRAMS
from totalquota.lib.units import QuantityError, Unit, decimal_text, format_quantity, normalize_number_text

GRAMS_PER_TONNE = 1_000_000
MAX_GRAMS = UNITS_MAX_GRAMS  # one limit for quantities everywhere (lib.units)
HUNDRED = Fraction(100)


class AccountingError(ValueError):
    """Inputs that cannot be accounted; ``param`` names the input at fault (for forms)."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


# --- emission factor units: grams of pollutant per activity unit ------------------------------------
@dataclass(frozen=True)
class FactorUnit:
    code: str
    grams: Fraction  # grams per (factor value × activity unit)
    activity_unit: str


FACTOR_UNITS: dict[str, FactorUnit] = {
    u.code: u
    for u in (
        FactorUnit("kg/万m³", Fraction(1000), "万m³"),
        FactorUnit("kg/m³", Fraction(1000), "m³"),
        FactorUnit("g/m³", Fraction(1), "m³"),
        FactorUnit("kg/t", Fraction(1000), "t"),
    )
}
EFFICIENCY_UNIT = "%"
Text = str | Promise  # a label: plain, or a lazy translation
# Unit symbols with a Chinese part, as each language writes them (the symbol is what is stored).
UNIT_LABELS = {"kg/万m³": gettext_lazy("kg/万m³"), "万m³": gettext_lazy("万m³")}


def unit_label(symbol: str) -> str:
    """A unit symbol as the page's language writes it (``kg/万m³`` is ``kg/10⁴ m³`` in English)."""
    return str(UNIT_LABELS.get(symbol, symbol))


@dataclass(frozen=True)
class Factor:
    """A factor as used in a computation: its value (exact), unit and where it came from."""

    value: Fraction
    unit: str
    label: str = ""
    source: str = ""
    id: int | None = None
    code: str = ""

    @property
    def grams_per_activity(self) -> Fraction:
        return self.value * FACTOR_UNITS[self.unit].grams

    @property
    def activity_unit(self) -> str:
        return FACTOR_UNITS[self.unit].activity_unit


# --- parsing exact numbers -----------------------------------------------------------------------
def parse_number(
    value: object,
    *,
    label: Any,
    places: int = 6,
    maximum: Fraction | None = None,
    param: str | None = None,
) -> Fraction:
    """An exact non-negative number from a decimal string (or int/Decimal), read as
    :func:`totalquota.lib.units.decimal_text` reads quantities (full-width digits mapped; exponents,
    separators, other scripts' digits refused); refuses negatives, more than ``places`` decimals
    and values above ``maximum``."""
    label = str(label)  # a parameter's label is a lazy translation
    if (
        isinstance(value, bool)
        or value is None
        or (isinstance(value, str) and not normalize_number_text(value))
    ):
        raise AccountingError(gettext("请填写{label}").format(label=label), param=param)
    # One reading of numbers for the whole platform (lib.units): full-width digits are mapped,
    # exponents, separators and other scripts' digits refused, exactly as for quota quantities.
    try:
        text = decimal_text(value, what=label)
    except QuantityError as exc:
        raise AccountingError(
            f"{label}：{exc.message}" if label not in exc.message else exc.message, param=param
        ) from None
    number = Decimal(text)
    if text.startswith("-"):
        raise AccountingError(
            gettext("{label}不能为负数：{text}").format(label=label, text=text), param=param
        )
    # Trailing zeros are not precision ("1.0000000" is 1), as for quota quantities.
    if number.scaleb(places) != number.scaleb(places).to_integral_value():
        raise AccountingError(
            gettext("{label}精度过高：最多 {places} 位小数").format(label=label, places=places), param=param
        )
    result = Fraction(number)
    if maximum is not None and result > maximum:
        raise AccountingError(
            gettext("{label}不能超过 {v1}").format(label=label, v1=show(maximum)), param=param
        )
    return result


def parse_factor_value(text: str) -> Fraction:
    """A stored factor value: an exact decimal ("1320") or a rational ("p/q") for factors whose
    published value was converted between unit systems without rounding."""
    text = str(text).strip()
    try:
        if "/" in text:
            num, den = text.split("/", 1)
            value = Fraction(int(num), int(den))
        else:
            value = Fraction(Decimal(text))
    except (ValueError, InvalidOperation, ZeroDivisionError):
        raise AccountingError(gettext("系数取值“{text}”不是有效的小数或分数").format(text=text)) from None
    if value < 0:
        raise AccountingError(gettext("系数不能为负数"))
    return value


def show(value: Fraction, places: int = 6) -> str:
    """``value`` as a decimal: exact when it terminates within ``places`` decimals, else rounded
    half-even and prefixed with ≈ (display only; computations keep the fraction)."""
    value = Fraction(value)
    scaled = value * 10**places
    if scaled.denominator == 1:
        text = format(Decimal(scaled.numerator).scaleb(-places), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    rounded = round(scaled)
    text = format(Decimal(rounded).scaleb(-places), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "≈" + text


def pct(value: Fraction) -> str:
    return f"{show(value * 100, 4)}%"


# --- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Computation:
    """The outcome of one method: exact amounts in grams per year, the rounded (floored) grams and
    the trace. ``reduction_grams`` never exceeds ``baseline_grams``."""

    baseline: Fraction
    post: Fraction
    steps: tuple[str, ...]
    unit_label: str = "t/a"
    unit_grams: int = GRAMS_PER_TONNE

    @property
    def reduction(self) -> Fraction:
        return self.baseline - self.post

    @property
    def baseline_grams(self) -> int:
        return math.floor(self.baseline)

    @property
    def post_grams(self) -> int:
        return math.floor(self.post)

    @property
    def reduction_grams(self) -> int:
        return math.floor(self.reduction)

    def amount(self, grams: Fraction) -> str:
        return f"{show(grams / self.unit_grams)} {self.unit_label}"

    def exact(self, grams: int) -> str:
        """Whole grams in the line's unit with every decimal place (1 g is 0.000001 t/a)."""
        return format_quantity(grams, Unit(self.unit_label), places=Unit(self.unit_label).places, suffix=True)

    @property
    def text(self) -> str:
        """The whole computation as lines of text, ending with the rounding step."""
        tail = [
            gettext("减排量 = 基准排放量 − 项目后排放量 = {baseline} − {post} = {reduction}").format(
                baseline=self.amount(self.baseline),
                post=self.amount(self.post),
                reduction=self.amount(self.reduction),
            ),
            gettext("按克向下取整（不多计减排量）：基准排放量 {baseline}，减排量 {reduction}").format(
                baseline=self.exact(self.baseline_grams), reduction=self.exact(self.reduction_grams)
            ),
        ]
        return "\n".join([*self.steps, *tail])


def _finish(baseline: Fraction, post: Fraction, steps: list[str], unit: tuple[str, int]) -> Computation:
    result = Computation(baseline, post, tuple(steps), unit[0], unit[1])
    if post > baseline:
        raise AccountingError(
            gettext("项目后排放量（{v0}）高于基准排放量（{v1}），没有减排量").format(
                v0=result.amount(post), v1=result.amount(baseline)
            )
        )
    if result.reduction_grams <= 0:
        raise AccountingError(gettext("核算减排量为零，不能作为减排量申报"))
    if baseline > MAX_GRAMS:
        raise AccountingError(gettext("基准排放量过大，请核对单位"))
    return result


def emission_after_control(amount: Fraction, capture: Fraction, removal: Fraction) -> Fraction:
    """``amount × (1 − capture × removal)``: what escapes when ``capture`` of it is collected and
    ``removal`` of that is destroyed (both fractions 0-1)."""
    return amount * (1 - capture * removal)


# --- the methods as plain functions --------------------------------------------------------------
T_A = ("t/a", GRAMS_PER_TONNE)


def closure(*, baseline: Fraction, unit: tuple[str, int] = T_A, basis: str = "") -> Computation:
    """产业结构升级（关停）: the closed source's baseline actual emission is the reduction."""
    grams = baseline * unit[1]
    steps = [
        gettext("关停源基准年实际排放量 = {v0} {v1}").format(v0=show(baseline), v1=unit[0])
        + (gettext("（依据：{basis}）").format(basis=basis) if basis else "")
    ]
    steps.append(gettext("关停后排放量 = 0 {v0}").format(v0=unit[0]))
    return _finish(grams, Fraction(0), steps, unit)


@dataclass(frozen=True)
class SolventUse:
    """One side of a solvent substitution: material used (t/a), its VOC content and control."""

    material_t: Fraction
    content: Fraction  # mass fraction 0-1
    capture: Fraction
    removal: Fraction

    def emission_t(self) -> Fraction:
        return emission_after_control(self.material_t * self.content, self.capture, self.removal)

    def describe(self) -> str:
        return (
            f"{show(self.material_t)} t × {pct(self.content)} × (1 − {pct(self.capture)} × {pct(self.removal)})"
            f" = {show(self.emission_t())} t/a"
        )


def solvent_substitution(
    *,
    before: SolventUse,
    after: SolventUse,
    output_before: Fraction | None = None,
    output_after: Fraction | None = None,
) -> Computation:
    """工艺改进（原辅料替代）: material × VOC content × (1 − capture × removal), before minus after,
    with the after-side scaled to the before-side's output when outputs are given."""
    steps = [
        gettext("替代前排放量 = {v0}").format(v0=before.describe()),
        gettext("替代后排放量 = {v0}").format(v0=after.describe()),
    ]
    post = after.emission_t()
    if output_before is not None and output_after is not None:
        if output_after == 0:
            raise AccountingError(gettext("替代后产量不能为零"), param="output_after")
        scale = output_before / output_after
        steps.append(
            gettext(
                "按同等产量折算：替代后排放量 × 替代前产量 / 替代后产量 = {v0} × {v1} / {v2} = {v3} t/a"
            ).format(v0=show(post), v1=show(output_before), v2=show(output_after), v3=show(post * scale))
        )
        post = post * scale
    elif (output_before is None) != (output_after is None):
        raise AccountingError(gettext("替代前后产量须同时填写或同时不填"), param="output_after")
    return _finish(before.emission_t() * GRAMS_PER_TONNE, post * GRAMS_PER_TONNE, steps, T_A)


def treatment_upgrade(
    *,
    generated: Fraction,
    capture_before: Fraction,
    removal_before: Fraction,
    capture_after: Fraction,
    removal_after: Fraction,
    unit: tuple[str, int] = T_A,
) -> Computation:
    """深度治理（收集/治理提升）: generated × change in (1 − capture × removal)."""
    baseline = emission_after_control(generated, capture_before, removal_before)
    post = emission_after_control(generated, capture_after, removal_after)
    u = unit[0]
    steps = [
        gettext(
            "改造前排放量 = 产生量 × (1 − 收集效率 × 去除效率) = {v0} {u} × (1 − {v2} × {v3}) = {v4} {u}"
        ).format(v0=show(generated), u=u, v2=pct(capture_before), v3=pct(removal_before), v4=show(baseline)),
        gettext("改造后排放量 = {v0} {u} × (1 − {v2} × {v3}) = {v4} {u}").format(
            v0=show(generated), u=u, v2=pct(capture_after), v3=pct(removal_after), v4=show(post)
        ),
    ]
    return _finish(baseline * unit[1], post * unit[1], steps, unit)


def fuel_switch(
    *,
    fuel_before: Fraction,
    factor_before: Factor,
    fuel_after: Fraction,
    factor_after: Factor | None = None,
    removal_before: Fraction = Fraction(0),
    removal_after: Fraction = Fraction(0),
    unit: tuple[str, int] = T_A,
) -> Computation:
    """工艺改进（清洁能源替代）: fuel × emission factor × (1 − removal), before minus after."""

    def side(label: str, fuel: Fraction, factor: Factor | None, removal: Fraction) -> tuple[Fraction, str]:
        if factor is None:
            return Fraction(0), gettext("{label}排放量 = 0（无燃料消耗）").format(label=label)
        grams = fuel * factor.grams_per_activity * (1 - removal)
        ref = f"（{factor.code}）" if factor.code else ""
        text = gettext(
            "{label}排放量 = {v1} {factor_activity_unit} × {v3} {factor_unit}{ref} × (1 − {v6}) = {v7} {v8}"
        ).format(
            label=label,
            v1=show(fuel),
            factor_activity_unit=unit_label(factor.activity_unit),
            v3=show(factor.value),
            factor_unit=unit_label(factor.unit),
            ref=ref,
            v6=pct(removal),
            v7=show(grams / unit[1]),
            v8=unit[0],
        )
        return grams, text

    if factor_after is None and fuel_after != 0:
        raise AccountingError(gettext("改造后仍有燃料消耗时须选择改造后的排放系数"), param="factor_after")
    baseline, first = side(str(BEFORE), fuel_before, factor_before, removal_before)
    post, second = side(str(AFTER), fuel_after, factor_after, removal_after)
    return _finish(baseline, post, [first, second], unit)


def wastewater(
    *,
    flow_before: Fraction,
    concentration_before: Fraction,
    flow_after: Fraction,
    concentration_after: Fraction,
    unit: tuple[str, int] = T_A,
) -> Computation:
    """废水治理: flow (m³/a) × concentration (mg/L), before minus after; 1 m³ × 1 mg/L = 1 g."""
    baseline = flow_before * concentration_before
    post = flow_after * concentration_after
    steps = [
        gettext("改造前排放量 = {v0} m³/a × {v1} mg/L = {v2} {v3}").format(
            v0=show(flow_before), v1=show(concentration_before), v2=show(baseline / unit[1]), v3=unit[0]
        ),
        gettext("改造后排放量 = {v0} m³/a × {v1} mg/L = {v2} {v3}").format(
            v0=show(flow_after), v1=show(concentration_after), v2=show(post / unit[1]), v3=unit[0]
        ),
    ]
    return _finish(baseline, post, steps, unit)


def vapour_recovery(
    *,
    throughput: Fraction,
    factor: Factor,
    efficiency_before: Fraction,
    efficiency_after: Fraction,
) -> Computation:
    """其他类（油气回收）: throughput × factor × (1 − efficiency), before minus after, i.e. the
    reduction is throughput × factor × efficiency gain."""
    uncontrolled = throughput * factor.grams_per_activity
    baseline = uncontrolled * (1 - efficiency_before)
    post = uncontrolled * (1 - efficiency_after)
    ref = f"（{factor.code}）" if factor.code else ""
    steps = [
        gettext("未控制排放量 = {v0} {factor_activity_unit} × {v2} {factor_unit}{ref} = {v5} t/a").format(
            v0=show(throughput),
            factor_activity_unit=unit_label(factor.activity_unit),
            v2=show(factor.value),
            factor_unit=unit_label(factor.unit),
            ref=ref,
            v5=show(uncontrolled / GRAMS_PER_TONNE),
        ),
        gettext("改造前排放量 = 未控制排放量 × (1 − {v0}) = {v1} t/a").format(
            v0=pct(efficiency_before), v1=show(baseline / GRAMS_PER_TONNE)
        ),
        gettext("改造后排放量 = 未控制排放量 × (1 − {v0}) = {v1} t/a").format(
            v0=pct(efficiency_after), v1=show(post / GRAMS_PER_TONNE)
        ),
    ]
    return _finish(baseline, post, steps, T_A)


DOCUMENT_SOURCES: dict[str, Any] = {
    "acceptance": gettext_lazy("竣工环境保护验收报告"),
    "permit": gettext_lazy("排污许可"),
    "eia": gettext_lazy("环境影响评价"),
    "statistics": gettext_lazy("环境统计"),
    "monitoring": gettext_lazy("环境监测"),
}


def documented(
    *, baseline: Fraction, reduction: Fraction, source: str, document: str, unit: tuple[str, int] = T_A
) -> Computation:
    """文件认定: the baseline and the reduction as stated in an acceptance report, permit, EIA,
    statistics or monitoring report; that document is required evidence."""
    if reduction > baseline:
        raise AccountingError(
            gettext("减排量（{v0} {v1}）不能大于基准排放量（{v2} {v3}）").format(
                v0=show(reduction), v1=unit[0], v2=show(baseline), v3=unit[0]
            ),
            param="reduction",
        )
    label = DOCUMENT_SOURCES.get(source, source)
    steps = [
        gettext("依据{label}：{document}").format(label=label, document=document),
        gettext("文件所载基准排放量 = {v0} {v1}，认定减排量 = {v2} {v3}").format(
            v0=show(baseline), v1=unit[0], v2=show(reduction), v3=unit[0]
        ),
    ]
    return _finish(baseline * unit[1], (baseline - reduction) * unit[1], steps, unit)


# --- method specifications: what each method asks for, for forms, the API and imports --------------
@dataclass(frozen=True)
class Param:
    """One input of a method. ``kind``: ``amount`` (in the pollutant's unit), ``number`` (an
    activity in ``unit``), ``percent`` (0-100, may come from an efficiency factor), ``factor`` (an
    emission factor id), ``text`` or ``choice``."""

    name: str
    label: Text
    kind: str
    unit: str = ""
    required: bool = True
    help: Text = ""
    choices: tuple[tuple[str, Text], ...] = ()
    group: str = ""


@dataclass(frozen=True)
class Method:
    code: str
    label: Text
    formula: Text
    params: tuple[Param, ...]
    pollutants: frozenset[str] | None  # pollutant codes; None means any
    compute: Callable[[Mapping[str, Any], tuple[str, int]], Computation]
    evidence_from: str | None = None  # the param naming the source document (documented figure)
    description: Text = ""
    types: tuple[str, ...] = field(default=())

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def allows(self, pollutant_code: str) -> bool:
        return self.pollutants is None or pollutant_code in self.pollutants


BASIS_LABEL = gettext_lazy("取值依据")
BEFORE, AFTER = gettext_lazy("改造前"), gettext_lazy("改造后")


def _basis(label: Any = BASIS_LABEL) -> Param:
    return Param(
        "basis",
        label,
        "text",
        help=gettext_lazy("填写系数、效率、含量的来源文件或标准，如设计文件、监测报告"),
    )


# A label asked for both states: "改造前收集效率" in Chinese.
SIDE_LABEL = gettext_lazy("{side}{label}")


def _both_sides(
    *inputs: tuple[str, Text, str, str],
    before: Any = BEFORE,
    after: Any = AFTER,
) -> tuple[Param, ...]:
    """The same inputs asked for both states, all of the state before the project first: each
    ``(name, label, kind, unit)`` becomes ``name_before`` labelled ``before + label`` and
    ``name_after`` labelled ``after + label``."""
    return tuple(
        Param(f"{name}_{side}", format_lazy(SIDE_LABEL, side=prefix, label=label), kind, unit, group=side)
        for side, prefix in (("before", before), ("after", after))
        for name, label, kind, unit in inputs
    )


AIR = frozenset({"PM", "SO2", "NOX", "VOCS"})
WATER = frozenset({"COD", "NH3N", "TN", "TP"})
METALS = frozenset({"PB", "HG", "CD", "CR", "AS"})

METHODS: dict[str, Method] = {}


def _register(method: Method) -> Method:
    METHODS[method.code] = method
    return method


def _by_name(
    function: Callable[..., Computation],
) -> Callable[[Mapping[str, Any], tuple[str, int]], Computation]:
    """The compute step of a method whose inputs are ``function``'s keywords of the same names.

    Inputs left blank are not passed (``function``'s default applies); inputs ``function`` does not
    take (the ``basis`` note) are only stored. The pollutant's unit goes in as ``unit`` when
    ``function`` takes one.
    """
    keywords = inspect.signature(function).parameters

    def compute(values: Mapping[str, Any], unit: tuple[str, int]) -> Computation:
        given = {name: value for name, value in values.items() if name in keywords}
        if "unit" in keywords:
            given["unit"] = unit
        return function(**given)

    return compute


_register(
    Method(
        "closure",
        gettext_lazy("关停淘汰（基准年实际排放量）"),
        gettext_lazy("减排量 = 关停源基准年实际排放量"),
        (
            Param("baseline", gettext_lazy("关停源基准年实际排放量"), "amount"),
            Param(
                "basis",
                gettext_lazy("基准排放量依据"),
                "text",
                help=gettext_lazy("如 2023 年排污许可执行报告、环境统计、监测报告"),
            ),
        ),
        None,
        _by_name(closure),
        description=gettext_lazy("适用于产业结构升级类：排污单位关闭或生产线（工序）关停。"),
        types=("structural", "other"),
    )
)
_register(
    Method(
        "solvent",
        gettext_lazy("原辅材料替代（物料衡算）"),
        gettext_lazy(
            "排放量 = 用量 × VOCs 含量 × (1 − 收集效率 × 去除效率)；减排量 = 替代前 − 替代后（同等产量）"
        ),
        (
            *_both_sides(
                ("material", gettext_lazy("原辅材料用量"), "number", "t/a"),
                ("content", gettext_lazy(" VOCs 含量"), "percent", "%"),
                ("capture", gettext_lazy("收集效率"), "percent", "%"),
                ("removal", gettext_lazy("去除效率"), "percent", "%"),
                before=gettext_lazy("替代前"),
                after=gettext_lazy("替代后"),
            ),
            Param(
                "output_before",
                gettext_lazy("替代前产量"),
                "number",
                required=False,
                help=gettext_lazy("产量变化时填写，用于折算到同等产量"),
            ),
            Param("output_after", gettext_lazy("替代后产量"), "number", required=False),
            _basis(gettext_lazy("含量与效率取值依据")),
        ),
        frozenset({"VOCS"}),
        lambda v, u: solvent_substitution(
            before=SolventUse(
                v["material_before"], v["content_before"], v["capture_before"], v["removal_before"]
            ),
            after=SolventUse(v["material_after"], v["content_after"], v["capture_after"], v["removal_after"]),
            output_before=v.get("output_before"),
            output_after=v.get("output_after"),
        ),
        description=gettext_lazy("适用于工艺改进类：油性漆改水性漆、低 VOCs 含量原辅料替代。"),
        types=("process",),
    )
)
_register(
    Method(
        "treatment",
        gettext_lazy("治理设施提升（产生量 × 效率变化）"),
        gettext_lazy("减排量 = 产生量 × [(1 − 改造前收集效率 × 去除效率) − (1 − 改造后收集效率 × 去除效率)]"),
        (
            Param("generated", gettext_lazy("污染物产生量"), "amount"),
            *_both_sides(
                ("capture", gettext_lazy("收集效率"), "percent", "%"),
                ("removal", gettext_lazy("去除效率"), "percent", "%"),
            ),
            _basis(gettext_lazy("效率取值依据")),
        ),
        AIR | METALS,
        _by_name(treatment_upgrade),
        description=gettext_lazy("适用于深度治理类：集气罩改密闭收集、光氧改催化燃烧等。"),
        types=("deep_treatment",),
    )
)
_register(
    Method(
        "fuel",
        gettext_lazy("燃料替代（燃料量 × 排放系数）"),
        gettext_lazy("排放量 = 燃料用量 × 排放系数 × (1 − 去除效率)；减排量 = 改造前 − 改造后"),
        (
            Param(
                "fuel_before",
                gettext_lazy("改造前燃料用量"),
                "number",
                help=gettext_lazy("单位与所选排放系数一致"),
                group="before",
            ),
            Param("factor_before", gettext_lazy("改造前排放系数"), "factor", group="before"),
            Param(
                "removal_before",
                gettext_lazy("改造前治理去除效率"),
                "percent",
                "%",
                required=False,
                group="before",
            ),
            Param(
                "fuel_after",
                gettext_lazy("改造后燃料用量"),
                "number",
                help=gettext_lazy("改用电能时填 0"),
                group="after",
            ),
            Param("factor_after", gettext_lazy("改造后排放系数"), "factor", required=False, group="after"),
            Param(
                "removal_after",
                gettext_lazy("改造后治理去除效率"),
                "percent",
                "%",
                required=False,
                group="after",
            ),
            _basis(gettext_lazy("燃料用量依据")),
        ),
        AIR,
        _by_name(fuel_switch),
        description=gettext_lazy("适用于工艺改进类：燃油锅炉改燃气或电。"),
        types=("process",),
    )
)
_register(
    Method(
        "wastewater",
        gettext_lazy("废水（水量 × 浓度）"),
        gettext_lazy("排放量 = 废水量 (m³/a) × 浓度 (mg/L)；减排量 = 改造前 − 改造后"),
        (
            *_both_sides(
                ("flow", gettext_lazy("废水排放量"), "number", "m³/a"),
                ("concentration", gettext_lazy("排放浓度"), "number", "mg/L"),
            ),
            _basis(gettext_lazy("水量与浓度依据")),
        ),
        WATER | METALS,
        _by_name(wastewater),
        description=gettext_lazy("适用于深度治理类的污水处理提标、回用等。"),
        types=("deep_treatment", "process", "structural"),
    )
)
_register(
    Method(
        "vapour",
        gettext_lazy("油气回收（销售量 × 系数 × 回收效率提升）"),
        gettext_lazy("减排量 = 汽油销售量 × 排放系数 × (改造后回收效率 − 改造前回收效率)"),
        (
            Param("throughput", gettext_lazy("汽油年销售量"), "number", "m³/a"),
            Param("factor", gettext_lazy("排放系数"), "factor"),
            *_both_sides(("efficiency", gettext_lazy("油气回收效率"), "percent", "%")),
            _basis(gettext_lazy("销售量与效率依据")),
        ),
        frozenset({"VOCS"}),
        _by_name(vapour_recovery),
        description=gettext_lazy("适用于其他类：加油站油气回收改造。"),
        types=("other",),
    )
)
_register(
    Method(
        "documented",
        gettext_lazy("文件认定（验收、许可、环评、统计、监测）"),
        gettext_lazy("减排量 = 文件所载减排量（不得大于文件所载基准排放量）"),
        (
            Param("source", gettext_lazy("依据文件类型"), "choice", choices=tuple(DOCUMENT_SOURCES.items())),
            Param("document", gettext_lazy("文件名称及文号"), "text"),
            Param("baseline", gettext_lazy("文件所载基准排放量"), "amount"),
            Param("reduction", gettext_lazy("文件认定的减排量"), "amount"),
        ),
        None,
        _by_name(documented),
        evidence_from="source",
        description=gettext_lazy(
            "《技术指南》未覆盖或缺少核算依据时，参考验收报告、排污许可、环评、统计或监测数据（须上传该文件）。"
        ),
        types=("structural", "process", "deep_treatment", "other"),
    )
)


def evaluate(
    method: Method,
    raw: Mapping[str, Any],
    *,
    unit: tuple[str, int] = T_A,
    factors: Mapping[str, Factor] | None = None,
) -> tuple[Computation, dict[str, Any]]:
    """Parse ``raw`` (strings as entered; factors already resolved into ``factors`` by the caller)
    for ``method`` and compute. Returns the computation and the normalised inputs to store: every
    number as the exact decimal string entered, every factor as a snapshot with its id.

    Raises :class:`AccountingError` naming the parameter at fault.
    """
    values: dict[str, Any] = {}
    stored: dict[str, Any] = {}
    factors = factors or {}
    for p in method.params:
        given = raw.get(p.name)
        blank = given is None or (isinstance(given, str) and not given.strip())
        if p.kind in ("factor", "percent") and p.name in factors:
            factor = factors[p.name]
            if p.kind == "percent":
                if factor.unit != EFFICIENCY_UNIT:
                    raise AccountingError(
                        gettext("{p_label}应选择效率类系数").format(p_label=p.label), param=p.name
                    )
                values[p.name] = factor.value / HUNDRED
            else:
                if factor.unit not in FACTOR_UNITS:
                    raise AccountingError(
                        gettext("{p_label}应选择排放系数").format(p_label=p.label), param=p.name
                    )
                values[p.name] = factor
            stored[p.name] = {
                "factor_id": factor.id,
                "code": factor.code,
                "value": fraction_text(factor.value),
                "unit": factor.unit,
                "source": factor.source,
            }
            continue
        if blank:
            if p.required:
                raise AccountingError(gettext("请填写{p_label}").format(p_label=p.label), param=p.name)
            continue
        if p.kind == "amount":
            places = 6 if unit[1] == GRAMS_PER_TONNE else 3
            # No amount beyond what a quantity can hold (lib.units.MAX_GRAMS), as for applications.
            values[p.name] = parse_number(
                given, label=p.label, places=places, maximum=Fraction(MAX_GRAMS, unit[1]), param=p.name
            )
        elif p.kind == "number":
            values[p.name] = parse_number(given, label=p.label, places=6, param=p.name)
        elif p.kind == "percent":
            values[p.name] = (
                parse_number(given, label=p.label, places=4, maximum=HUNDRED, param=p.name) / HUNDRED
            )
        elif p.kind == "factor":
            raise AccountingError(gettext("请选择{p_label}").format(p_label=p.label), param=p.name)
        elif p.kind == "choice":
            if str(given) not in dict(p.choices):
                raise AccountingError(
                    gettext("{p_label}应为：").format(p_label=p.label)
                    + gettext("、").join(str(label) for label in dict(p.choices).values()),
                    param=p.name,
                )
            values[p.name] = str(given)
        else:
            text = str(given).strip()
            if len(text) > 300:
                raise AccountingError(
                    gettext("{p_label}不能超过 300 个字符").format(p_label=p.label), param=p.name
                )
            values[p.name] = text
        # Numbers are stored (and returned) as normalised, so "１２．５" is kept as "12.5".
        numeric = p.kind in ("amount", "number", "percent")
        stored[p.name] = normalize_number_text(str(given)) if numeric else str(given).strip()
    return method.compute(values, unit), stored


def fraction_text(value: Fraction) -> str:
    """``value`` exactly: a decimal string when it terminates, else ``"p/q"``."""
    value = Fraction(value)
    den = value.denominator
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    return show(value, places)


def recompute(method_code: str, stored: Mapping[str, Any], *, unit: tuple[str, int] = T_A) -> Computation:
    """The computation again from stored inputs alone (factor snapshots included), so anyone can
    check a line without the factor table as it is today."""
    method = METHODS[method_code]
    raw: dict[str, Any] = {}
    factors: dict[str, Factor] = {}
    for name, value in stored.items():
        if isinstance(value, dict) and "factor_id" in value:
            factors[name] = Factor(
                value=parse_factor_value(value["value"]),
                unit=value["unit"],
                source=value.get("source", ""),
                id=value["factor_id"],
                code=value.get("code", ""),
            )
        else:
            raw[name] = value
    computation, _stored = evaluate(method, raw, unit=unit, factors=factors)
    return computation
