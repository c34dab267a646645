"""The rules page as an official reads it: names, units, ratios, clauses and each parameter's history."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from tests.page_text import visible_text
from totalquota.registry import services
from totalquota.registry.models import Pollutant, RuleParameter
from totalquota.registry.rules import RULE_KEYS


def _page(client, **query) -> str:
    response = client.get(reverse("registry:rule_list"), {"page": 1, **query})
    assert response.status_code == 200
    return visible_text(response.content.decode())


def test_every_rule_key_has_a_short_chinese_name():
    for spec in RULE_KEYS.values():
        name = str(spec.name)
        assert name and re.search(r"[\u4e00-\u9fff]", name), spec.key
        assert spec.key not in name


def test_the_rules_page_shows_names_units_ratios_and_clauses_not_raw_values(client, world):
    client.force_login(world.admin)
    text = _page(client, key="filing_threshold")
    assert "备案阈值" in text and "RES-2" in text
    assert "filing_threshold" not in text and "None" not in text
    assert re.search(r"\d+(\.\d+)? t/a", text)  # thresholds with their unit
    assert "不适用" in text  # a pollutant without a threshold
    assert not re.search(r"\b\d{5,}\b", text)  # no bare gram figures
    ratios = _page(client, key="balance_ratio_nonattainment")
    assert "不达标地区平衡比例" in ratios and "2:1" in ratios and "[2, 1]" not in ratios
    indicator = _page(client, key="attainment_indicator")
    assert "地表水考核断面" in indicator and "WATER" not in indicator
    recovery = _page(client, key="recovery_threshold_bp")
    assert "收回线" in recovery and "80%" in recovery and "8000" not in recovery


def test_heavy_metal_thresholds_read_in_kilograms(client, world):
    metal = Pollutant.objects.filter(is_heavy_metal=True).first()
    client.force_login(world.admin)
    services.rule_parameter_set(
        actor=world.admin,
        key="filing_threshold",
        value=1500,
        effective_from=dt.date(2031, 1, 1),
        pollutant=metal,
    )
    text = _page(client, key="filing_threshold", q=metal.name)
    assert "1.5 kg/a" in text and "1500" not in text


def test_each_parameter_shows_its_history_newest_first_with_who_set_it(client, world):
    pollutant = Pollutant.objects.get(code="NOX")
    before = RuleParameter.objects.filter(key="filing_threshold", pollutant=pollutant).count()
    services.rule_parameter_set(
        actor=world.admin,
        key="filing_threshold",
        value=2_000_000,
        effective_from=dt.date(2030, 1, 1),
        pollutant=pollutant,
    )
    services.rule_parameter_set(
        actor=world.admin,
        key="filing_threshold",
        value=3_000_000,
        effective_from=dt.date(2031, 1, 1),
        pollutant=pollutant,
    )
    assert RuleParameter.objects.filter(key="filing_threshold", pollutant=pollutant).count() == before + 2
    client.force_login(world.admin)
    text = _page(client, key="filing_threshold", q=pollutant.name)
    newest, older = text.index("3 t/a"), text.index("2 t/a")
    assert newest < older  # newest first
    assert "待生效" in text and str(world.admin) in text
    assert "2031-01-01" in text or "2031年1月1日" in text
