"""Enforcement fixtures: an over-emission flag of the company, findings in each stage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.emissions.conftest import T, filled, line, p  # noqa: F401  (fixtures)
from tests.emissions.helpers_review import submitted
from totalquota.enforcement import services

DAY = dt.timedelta(days=1)


@pytest.fixture
def flag(world, p, filled):  # noqa: F811
    """The company's 2025 report: actual COD 12 t/a above its permitted 10 t/a (over_permit)."""
    report = submitted(
        world,
        filled,
        line(p["COD"], 12 * T, permitted_grams=10 * T, difference_note="许可证未录入"),
    )
    return report.flags.get(kind="over_permit")


@pytest.fixture
def finding(world, flag):
    """A draft finding made from the over-emission flag by the zone A officer."""
    return services.finding_create(
        actor=world.officer.principal,
        source="over_emission",
        flag=flag,
        facts="2025 年化学需氧量超许可排放 2 吨",
    )


def notified(world, finding, *, on=None):
    return services.finding_notify(actor=world.officer.principal, finding=finding, today=on)


@pytest.fixture
def answered(world, finding):
    notified(world, finding)
    return services.finding_answer(
        actor=world.company_user.principal, finding=finding, text="数据录入有误，申请更正"
    )


def proposed(world, finding, *, by=None, fen=5_000_000):
    return services.finding_propose(
        actor=(by or world.officer).principal,
        finding=finding,
        decision_number="园环罚〔2026〕1号",
        penalty_fen=fen,
        legal_basis="《中华人民共和国大气污染防治法》第九十九条",
        severity="general",
    )


def today():
    return timezone.localdate()
