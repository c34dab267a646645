import datetime as dt

import pytest
from django.urls import reverse

from totalquota.registry.models import RuleParameter, Zone
from totalquota.registry.rules import rule_value

pytestmark = pytest.mark.django_db


def test_the_admin_adds_and_renames_a_zone(client, world):
    client.force_login(world.admin)
    client.post(
        reverse("registry:zone_create"),
        {"code": "yc", "name": "阳澄湖半岛旅游度假区", "sort_order": 4, "is_active": "on"},
    )
    zone = Zone.objects.get(code="YC")
    client.post(
        reverse("registry:zone_edit", args=[zone.pk]),
        {"code": "YCL", "name": "阳澄湖半岛", "sort_order": 4, "is_active": "on"},
    )
    zone.refresh_from_db()
    assert (zone.code, zone.name) == ("YCL", "阳澄湖半岛")


def test_a_zone_with_units_cannot_be_deactivated_and_codes_are_unique(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("registry:zone_edit", args=[world.zone_a.pk]),
        {"code": "A", "name": world.zone_a.name, "sort_order": 1},
    )
    assert "仍有在册排污单位" in response.content.decode()
    response = client.post(reverse("registry:zone_create"), {"code": "A", "name": "重复", "sort_order": 1})
    assert "已被使用" in response.content.decode()
    assert Zone.objects.get(pk=world.zone_a.pk).is_active


@pytest.mark.parametrize(
    ("key", "pollutant", "text", "stored"),
    [
        ("filing_threshold", "VOCS", "0.8", 800_000),
        ("filing_threshold", "PB", "无", None),
        ("balance_ratio", None, "2:1", [2, 1]),
        ("recovery_threshold_bp", None, "75%", 7500),
        ("ledger_hold_timeout_days", None, "120", 120),
    ],
)
def test_rule_values_are_typed_in_the_units_people_use(client, world, key, pollutant, text, stored):
    from totalquota.registry.models import Pollutant

    client.force_login(world.admin)
    p = Pollutant.objects.get(code=pollutant) if pollutant else None
    response = client.post(
        reverse("registry:rule_create"),
        {
            "key": key,
            "pollutant": p.pk if p else "",
            "value": text,
            "effective_from": "2030-01-01",
            "source": "测试",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert RuleParameter.objects.get(key=key, pollutant=p, effective_from=dt.date(2030, 1, 1)).value == stored
    assert rule_value(key, dt.date(2030, 6, 1), pollutant=p).value == stored


@pytest.mark.parametrize(
    ("key", "text", "fragment"),
    [
        ("balance_ratio", "2", "分子:分母"),
        ("recovery_threshold_bp", "abc", "80%"),
        ("filing_threshold", "-1", "负数"),
    ],
)
def test_bad_rule_values_are_refused_in_chinese(client, world, key, text, fragment):
    client.force_login(world.admin)
    response = client.post(
        reverse("registry:rule_create"), {"key": key, "value": text, "effective_from": "2030-01-01"}
    )
    assert fragment in response.content.decode()
    assert not RuleParameter.objects.filter(effective_from=dt.date(2030, 1, 1)).exists()
