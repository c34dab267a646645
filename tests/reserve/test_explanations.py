"""The explanations a reviewer reads name indicators in Chinese, never by their codes."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.page_text import INDICATOR_CODES
from totalquota.registry.models import Pollutant
from totalquota.reserve.decisions import decide_line

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code, indicator", [("COD", "地表水考核断面"), ("NOX", "臭氧")])
def test_a_missing_attainment_status_is_named_by_the_indicators_chinese_name(world, code, indicator):
    pollutant = Pollutant.objects.get(code=code)
    decision = decide_line(
        zone=world.zone_a, pollutant=pollutant, new_discharge_grams=3_000_000, on=dt.date(2026, 6, 1)
    )
    note = decision.snapshot["attainment"]["note"]
    assert f"尚未录入{indicator}上年度达标状况" in note
    assert note in decision.computation
    assert not INDICATOR_CODES.search(decision.computation)
