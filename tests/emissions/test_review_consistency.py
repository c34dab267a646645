"""Consistency across sources worked by hand (TOT-3): the tolerance relative to the unit's figure
with an absolute floor, "no data" is never a difference, the latest batch counts, over-emission,
re-checks and superseded flags."""

from __future__ import annotations

import pytest

from tests.emissions.conftest import T, as_, line
from tests.emissions.helpers_review import imported, open_flags, opinion, submitted
from totalquota.emissions import consistency
from totalquota.emissions.models import ConsistencyFlag, FlagStatus
from totalquota.emissions.services import reports as report_services
from totalquota.emissions.services import review as services
from totalquota.lib.errors import RuleViolation, ValidationFailed

KG = 1_000


def test_a_difference_of_exactly_five_percent_is_not_flagged(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "10.5"))
    report = submitted(world, filled, line(p["COD"], 10 * T))
    assert open_flags(report) == []


def test_a_difference_beyond_five_percent_is_flagged_with_figures_and_rules(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "10.6"))
    report = submitted(world, filled, line(p["COD"], 10 * T))
    [flag] = open_flags(report)
    assert (flag.kind, flag.source_kind) == ("difference", "statistics")
    assert (flag.reported_grams, flag.other_grams, flag.difference_grams) == (10 * T, 10_600_000, -600_000)
    assert flag.tolerance_grams == 500_000
    assert [r["key"] for r in flag.rules] == ["tolerance_bp_statistics", "tolerance_floor"]
    assert flag.rules[0]["value"] == 500 and flag.rules[0]["clause_id"] == "TOT-3"
    assert (
        flag.message == "实际排放量 10 t/a，环境统计 10.6 t/a，相差 0.6 t/a（6%），超过允许偏差 5%（0.5 t/a）"
    )


def test_the_message_says_which_figures_differ_by_how_much_under_which_tolerance(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "10"))
    report = submitted(world, filled, line(p["COD"], 12_500_000))
    [flag] = open_flags(report)
    assert (
        flag.message
        == "实际排放量 12.5 t/a，环境统计 10 t/a，相差 2.5 t/a（20%），超过允许偏差 5%（0.625 t/a）"
    )


def test_a_heavy_metal_difference_under_the_floor_is_not_flagged(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "PB", "1.09"))  # kg/a, the metal's unit
    report = submitted(world, filled, line(p["PB"], 1 * KG))
    assert open_flags(report) == []


def test_a_heavy_metal_difference_beyond_the_floor_says_the_floor(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "PB", "1.2"))
    report = submitted(world, filled, line(p["PB"], 1 * KG))
    [flag] = open_flags(report)
    assert flag.tolerance_grams == 100
    assert (
        flag.message
        == "实际排放量 1 kg/a，环境统计 1.2 kg/a，相差 0.2 kg/a（20%），超过允许偏差下限 0.1 kg/a"
    )


def test_a_missing_source_is_no_data_never_a_flag(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "10"))
    report = submitted(world, filled, line(p["COD"], 10 * T), line(p["VOCS"], 3 * T))
    assert open_flags(report) == []
    rows = {r.pollutant.code: r for r in consistency.side_by_side(report.current_version)}
    cells = {c.kind: c for c in rows["VOCS"].cells}
    assert all(c.no_data and not c.flagged for c in cells.values())
    cod = {c.kind: c for c in rows["COD"].cells}
    assert cod["statistics"].other_grams == 10 * T and cod["disclosure"].no_data


def test_of_two_statistics_batches_the_later_one_counts(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "20"))
    imported(world, "statistics", (world.company.uscc, "COD", "10.2"), source="2025 年环境统计（更正）")
    report = submitted(world, filled, line(p["COD"], 10 * T))
    assert open_flags(report) == []


def test_each_source_is_compared_on_its_own(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "12"))
    imported(world, "online", (world.company.uscc, "COD", "10"), source="在线监测 2025 年度总量")
    imported(world, "disclosure", (world.company.uscc, "COD", "8"), source="2025 年环境信息披露")
    report = submitted(world, filled, line(p["COD"], 10 * T))
    assert {f.source_kind for f in open_flags(report)} == {"statistics", "disclosure"}


def test_actual_above_permitted_or_allowed_is_an_over_emission_flag(world, p, filled):
    report = submitted(
        world,
        filled,
        line(p["COD"], 12 * T, permitted_grams=10 * T, allowed_grams=11 * T, difference_note="许可证未录入"),
    )
    flags = {f.kind: f for f in open_flags(report)}
    assert set(flags) == {"over_permit", "over_allowed"}
    assert flags["over_permit"].message == "实际排放量 12 t/a，超过许可排放量 10 t/a，超出 2 t/a（20%）"
    assert flags["over_allowed"].other_grams == 11 * T


def test_a_recheck_after_an_import_flags_and_clears_open_flags_and_keeps_resolved_ones(world, p, filled):
    report = submitted(world, filled, line(p["COD"], 10 * T), line(p["VOCS"], 3 * T))
    assert open_flags(report) == []
    imported(world, "statistics", (world.company.uscc, "COD", "20"), (world.company.uscc, "VOCS", "5"))
    flags = {f.pollutant.code: f for f in open_flags(report)}
    cod, vocs = flags["COD"], flags["VOCS"]
    services.flag_resolve(actor=as_(world.reviewer), flag=vocs, reason="统计口径含无组织排放")
    imported(world, "statistics", (world.company.uscc, "COD", "10.1"), (world.company.uscc, "VOCS", "5"))
    assert open_flags(report) == []  # COD now agrees; VOCs stays resolved, not raised again
    assert not ConsistencyFlag.objects.filter(pk=cod.pk).exists()
    assert ConsistencyFlag.objects.get(pk=vocs.pk).status == FlagStatus.RESOLVED


def test_a_newer_version_supersedes_the_open_flags_of_the_older_one(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "20"))
    report = submitted(world, filled, line(p["COD"], 10 * T))
    [old] = open_flags(report)
    report_services.report_return(actor=as_(world.reviewer), report=report, reason="与环境统计不符")
    report.refresh_from_db()
    report_services.report_lines_save(
        actor=as_(world.company_user), report=report, lines=[line(p["COD"], 20 * T)], change_note="按统计更正"
    )
    report_services.report_submit(actor=as_(world.company_user), report=report)
    assert open_flags(report) == []
    assert ConsistencyFlag.objects.get(pk=old.pk).status == FlagStatus.SUPERSEDED


def test_a_report_with_an_open_flag_cannot_be_accepted_until_it_is_resolved(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "20"))
    report = submitted(world, filled, line(p["COD"], 10 * T))
    opinion(world, report)
    with pytest.raises(RuleViolation):
        report_services.report_accept(actor=as_(world.reviewer), report=report)
    [flag] = open_flags(report)
    with pytest.raises(ValidationFailed):
        services.flag_resolve(actor=as_(world.reviewer), flag=flag, reason="  ")
    services.flag_resolve(actor=as_(world.reviewer), flag=flag, reason="统计数据有误，已函告统计部门")
    report_services.report_accept(actor=as_(world.reviewer), report=report)
    report.refresh_from_db()
    assert report.status == "accepted"
