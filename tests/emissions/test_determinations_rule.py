"""The default rule of TOT-3 worked by hand, and the total-control property: however the figures
fall, scaling rounds down to the gram and the zone's total never exceeds its cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from totalquota.emissions import determination as rule

T = 1_000_000
NO_CUT = {"key": "improvement_target_bp", "value": 0, "parameter_id": 1, "clause_id": "TOT-3"}
NO_CAP = {"key": "total_control_grams", "value": None, "parameter_id": 2, "clause_id": "TOT-3"}


def rules(bp=0, cap=None):
    return rule.PollutantRules(
        bp, {**NO_CUT, "value": bp, "parameter_id": 11}, cap, {**NO_CAP, "value": cap, "parameter_id": 12}
    )


def unit(n, *, permitted=None, allowed=None, pollutant="COD", medium="water"):
    return rule.UnitLine(
        enterprise_id=n,
        pollutant=pollutant,
        medium=medium,
        source=rule.Source(100 + n, 2, 1000 + n),
        permitted_grams=permitted,
        allowed_grams=allowed,
        actual_grams=None,
    )


ATTAINED = {"water": rule.Quality(True), "air": rule.Quality(True)}
NOT_ATTAINED = {
    "water": rule.Quality(False, ({"indicator": "WATER", "attained": False},)),
    "air": rule.Quality(True),
}


def test_an_attained_zone_keeps_last_years_allowed_emissions():
    [o] = rule.determine_zone(
        [unit(1, permitted=20 * T, allowed=12 * T)], quality_of=ATTAINED, rules_of={"COD": rules(bp=500)}
    )
    assert o.base_grams == 12 * T and o.computed_grams == 12 * T
    assert [s["step"] for s in o.steps] == [
        "base",
        "quality",
        "improvement",
        "permitted_cap",
        "total_control",
        "result",
    ]
    assert o.steps[0]["field"] == "allowed_grams" and o.steps[0]["source"] == {
        "report_id": 101,
        "version": 2,
        "line_id": 1001,
    }
    assert o.steps[2]["applied"] is False


def test_an_unattained_zone_cuts_by_the_improvement_target_rounding_down():
    # 1 001 g × (10000 − 250) / 10000 = 975.975 g → 975 g (down, not to the nearest 976)
    [o] = rule.determine_zone(
        [unit(1, allowed=1001)], quality_of=NOT_ATTAINED, rules_of={"COD": rules(bp=250)}
    )
    assert o.computed_grams == 975
    cut = o.steps[2]
    assert cut["applied"] is True and cut["bp"] == 250 and cut["rule"]["parameter_id"] == 11
    assert cut["before"] == 1001 and cut["figure"] == 975


def test_the_permitted_quantity_is_the_base_when_there_is_no_allowed_figure():
    [o] = rule.determine_zone([unit(1, permitted=8 * T)], quality_of=ATTAINED, rules_of={"COD": rules()})
    assert o.base_grams == 8 * T and o.steps[0]["field"] == "permitted_grams" and o.computed_grams == 8 * T


def test_a_line_without_allowed_or_permitted_figure_is_not_determined_and_says_why():
    [o] = rule.determine_zone([unit(1)], quality_of=ATTAINED, rules_of={"COD": rules()})
    assert not o.determined and o.reason == rule.NO_BASE
    assert o.steps[0]["step"] == rule.NO_BASE and o.steps[0]["source"]["line_id"] == 1001


def test_the_figure_never_exceeds_the_permitted_quantity():
    [o] = rule.determine_zone(
        [unit(1, permitted=9 * T, allowed=10 * T)], quality_of=ATTAINED, rules_of={"COD": rules()}
    )
    assert o.computed_grams == 9 * T
    assert o.steps[3] == {
        "step": "permitted_cap",
        "applied": True,
        "permitted": 9 * T,
        "source": {"report_id": 101, "version": 2, "line_id": 1001},
        "before": 10 * T,
        "figure": 9 * T,
        "clause": "TOT-3",
    }


def test_a_zone_over_its_total_control_is_scaled_down_in_proportion_with_remainders_dropped():
    # 3 + 3 + 4 = 10 g against a cap of 7 g: 2.1 → 2, 2.1 → 2, 2.8 → 2; 6 g in all, never over 7.
    lines = [unit(1, allowed=3), unit(2, allowed=3), unit(3, allowed=4)]
    outcomes = rule.determine_zone(lines, quality_of=ATTAINED, rules_of={"COD": rules(cap=7)})
    assert [o.computed_grams for o in outcomes] == [2, 2, 2]
    step = outcomes[2].steps[4]
    assert step["applied"] is True and step["zone_total"] == 10 and step["cap"] == 7 and step["before"] == 4


def test_a_cap_the_zone_stays_under_changes_nothing():
    lines = [unit(1, allowed=5 * T), unit(2, allowed=2 * T)]
    outcomes = rule.determine_zone(lines, quality_of=ATTAINED, rules_of={"COD": rules(cap=7 * T)})
    assert [o.computed_grams for o in outcomes] == [5 * T, 2 * T]
    assert outcomes[0].steps[4]["applied"] is False


def test_issued_figures_count_against_the_cap():
    lines = [unit(1, allowed=6 * T)]
    [o] = rule.determine_zone(
        lines, quality_of=ATTAINED, rules_of={"COD": rules(cap=10 * T)}, fixed={"COD": 7 * T}
    )
    assert o.computed_grams == 3 * T and o.steps[4]["room"] == 3 * T


def test_the_steps_run_in_order_cut_then_permit_then_cap():
    # Unit 1: base 10 t, cut 10 % → 9 t, over its permit of 8.5 t → 8.5 t. Unit 2: 1.5 t cut to
    # 1.35 t. The zone's 9.85 t against a cap of 8 t: 8.5 × 8 / 9.85 = 6.903553… → 6 903 553 g,
    # 1.35 × 8 / 9.85 = 1.096446… → 1 096 446 g; 7 999 999 g in all, a gram lost to rounding down.
    lines = [unit(1, permitted=8_500_000, allowed=10 * T), unit(2, allowed=1_500_000)]
    outcomes = rule.determine_zone(
        lines, quality_of=NOT_ATTAINED, rules_of={"COD": rules(bp=1000, cap=8 * T)}
    )
    assert [o.computed_grams for o in outcomes] == [6_903_553, 1_096_446]
    assert [s.get("figure") for s in outcomes[0].steps] == [
        10 * T,
        None,
        9 * T,
        8_500_000,
        6_903_553,
        6_903_553,
    ]
    assert outcomes[1].steps[4]["zone_total"] == 9_850_000


def test_heavy_metals_are_cut_when_either_medium_was_not_attained():
    quality = {"air": rule.Quality(True), "water": rule.Quality(False)}
    [o] = rule.determine_zone(
        [unit(1, allowed=1000, pollutant="PB", medium="air_or_water")],
        quality_of=quality,
        rules_of={"PB": rules(bp=1000)},
    )
    assert o.computed_grams == 900
    assert rule.combine(rule.Quality(None), rule.Quality(None)).attained is None
    assert rule.combine(rule.Quality(True), rule.Quality(None)).attained is True


def test_a_medium_without_an_assessment_is_not_cut():
    [o] = rule.determine_zone([unit(1, allowed=1000)], quality_of={}, rules_of={"COD": rules(bp=1000)})
    assert o.computed_grams == 1000 and o.steps[1]["attained"] is None


def test_a_target_outside_a_whole_is_refused():
    with pytest.raises(ValueError):
        rule.improvement_cut(100, 10_001)


@given(
    st.lists(st.integers(min_value=0, max_value=10**13), min_size=1, max_size=40),
    st.integers(min_value=0, max_value=10**14),
)
def test_scaling_never_exceeds_the_cap_and_never_raises_a_figure(values, cap):
    scaled = rule.scale_to_cap(values, cap)
    assert sum(scaled) <= max(cap, 0) or sum(values) <= cap
    assert sum(scaled) <= max(sum(values), 0)
    assert all(0 <= s <= v for s, v in zip(scaled, values, strict=True))
    if sum(values) > cap:
        assert sum(scaled) <= cap
        # rounding down loses less than one gram per unit
        assert cap - sum(scaled) < len(values) or sum(values) == 0
        assert all(s == v * cap // sum(values) for s, v in zip(scaled, values, strict=True))


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 10**12)),  # permitted
            st.one_of(st.none(), st.integers(0, 10**12)),  # allowed
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(0, 10_000),
    st.one_of(st.none(), st.integers(0, 10**13)),
    st.booleans(),
    st.integers(0, 10**12),
)
def test_a_zones_determined_total_never_exceeds_its_cap_nor_any_unit_its_permit(
    pairs, bp, cap, attained, fixed
):
    lines = [unit(n, permitted=p, allowed=a) for n, (p, a) in enumerate(pairs)]
    quality = {"water": rule.Quality(attained)}
    outcomes = rule.determine_zone(
        lines, quality_of=quality, rules_of={"COD": rules(bp=bp, cap=cap)}, fixed={"COD": fixed}
    )
    determined = [o for o in outcomes if o.determined]
    if cap is not None:
        assert sum(o.computed_grams for o in determined) <= max(cap - fixed, 0)
    for o, (permitted, allowed) in zip(outcomes, pairs, strict=True):
        if allowed is None and permitted is None:
            assert not o.determined
            continue
        assert o.computed_grams is not None and 0 <= o.computed_grams <= o.base_grams
        if permitted is not None:
            assert o.computed_grams <= permitted
        assert o.steps[-1]["figure"] == o.computed_grams
