"""The seeded demo park reads as a real one: names fit their zone and people, and its pages show
quantities in t/a or kg/a and indicators by their Chinese names."""

from __future__ import annotations

import importlib
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.page_text import unreadable
from totalquota.accounts.models import User
from totalquota.accounts.roles import Role
from totalquota.demo.context import STEPS, DemoContext
from totalquota.demo.registry import PLACE_NAMES
from totalquota.ledger.models import Account
from totalquota.reductions.models import ReductionProject
from totalquota.registry.models import Enterprise
from totalquota.reserve.models import IntakeRun, QuotaApplication

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_park():
    ctx = DemoContext(rng=random.Random(20211), today=timezone.localdate())
    ctx["enterprise_count"] = 40
    for name in STEPS:
        importlib.import_module(name).seed(ctx)
    return ctx


def test_demo_units_are_named_after_their_own_zone_and_staff_names_are_whole(demo_park):
    units = list(Enterprise.objects.select_related("zone"))
    assert len(units) == 40
    for unit in units:
        for zone_code, place in PLACE_NAMES.items():
            if place in unit.name:
                assert unit.zone.code == zone_code, f"{unit.name} lies in {unit.zone.name}"
    assert any(place in u.name for u in units for place in PLACE_NAMES.values())
    staff = list(User.objects.filter(role=Role.ENTERPRISE).select_related("enterprise"))
    assert staff
    for user in staff:
        name = user.display_name
        assert name.endswith("环保专员") and len(name) <= User._meta.get_field("display_name").max_length
        short = name.removesuffix("环保专员")
        assert short and short in user.enterprise.name
        assert not short.endswith(("有", "有限", "公司")), name


def test_the_main_pages_of_the_demo_show_no_grams_and_no_indicator_codes(client, demo_park):
    admin = User.objects.get(username="admin")
    client.force_login(admin)
    urls = [
        reverse("registry:rule_list"),
        reverse("registry:enterprise_list"),
        reverse("reserve:warnings"),
        reverse("reserve:recovery"),
        reverse("ledger:overview"),
        reverse("reductions:project_list"),
        reverse("reserve:application_list"),
    ]
    urls += [p.get_absolute_url() for p in ReductionProject.objects.all()]
    urls += [a.get_absolute_url() for a in QuotaApplication.objects.all()]
    urls += [r.get_absolute_url() for r in IntakeRun.objects.all()]
    urls += [a.get_absolute_url() for a in Account.objects.order_by("pk")[:10]]
    urls += [e.get_absolute_url() for e in Enterprise.objects.order_by("pk")[:3]]
    assert len(urls) > 20
    problems = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found = unreadable(response.content.decode())
        if found:
            problems[url] = found
    assert not problems
