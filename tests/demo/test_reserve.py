"""The demo park's reserve: every application that went to review carries its basis and balance
plan (RES-2), as real documents the content check accepted."""

from __future__ import annotations

import importlib
import random

import pytest
from django.utils import timezone

from totalquota.common.files import sniff
from totalquota.demo.context import STEPS, DemoContext
from totalquota.registry.models import AttainmentStatus, Enterprise, PermitLimit
from totalquota.registry.selectors import permitted_for
from totalquota.reserve.models import ApplicationLine, ApplicationStatus, QuotaApplication, Route

pytestmark = pytest.mark.django_db


def test_the_demo_reviews_carry_their_basis_and_balance_plan():
    ctx = DemoContext(rng=random.Random(20211), today=timezone.localdate())
    ctx["enterprise_count"] = 60
    for name in STEPS[: STEPS.index("totalquota.demo.reserve") + 1]:
        importlib.import_module(name).seed(ctx)
    reviews = QuotaApplication.objects.filter(route=Route.REVIEW)
    assert reviews.count() >= 4
    for application in reviews:
        kinds = sorted(application.documents.values_list("kind", flat=True))
        assert kinds == ["balance_plan", "basis"], application.code
        for document in application.documents.all():
            with document.file.open("rb") as handle:
                assert sniff(handle).content_type == "application/pdf"
    assert QuotaApplication.objects.filter(route=Route.FILING, documents__isnull=True).exists()
    draft = QuotaApplication.objects.get(status=ApplicationStatus.DRAFT)
    assert list(draft.documents.values_list("kind", flat=True)) == ["basis"]
    # The ambient quality: the park's assessment and the zones' own, every year from 2021, a mix.
    years = set(range(2021, timezone.localdate().year + 1))
    assert set(AttainmentStatus.objects.filter(zone=None).values_list("year", flat=True)) == years
    by_zone = AttainmentStatus.objects.exclude(zone=None)
    assert set(by_zone.values_list("zone__code", flat=True)) == {"HMT", "DSL", "YCL", "JJL"}
    assert by_zone.filter(indicator="O3", attained=False).exists()
    assert by_zone.filter(indicator="WATER", attained=False).exists()
    assert by_zone.filter(attained=True).exists()


def test_every_demo_unit_holding_a_permit_has_limits_matching_its_approvals():
    ctx = DemoContext(rng=random.Random(20211), today=timezone.localdate())
    ctx["enterprise_count"] = 40
    for name in STEPS[: STEPS.index("totalquota.demo.permits") + 1]:
        importlib.import_module(name).seed(ctx)
    holders = Enterprise.objects.exclude(permit_number="")
    assert holders.exists()
    for unit in holders:
        assert unit.permit_limits.exists(), unit.name
    year = timezone.localdate().year
    latest = {}  # (unit, pollutant) -> the whole-plant figure of its latest approval
    approved = ApplicationLine.objects.filter(application__status=ApplicationStatus.APPROVED)
    for line in approved.select_related("application__enterprise").order_by("application__decided_at"):
        latest[(line.application.enterprise, line.pollutant)] = line.plant_env_grams
    assert latest
    for (unit, pollutant), plant_env_grams in latest.items():
        if unit.permit_number:
            limit = permitted_for(unit, pollutant, year)
            assert limit is not None and limit.permitted_grams == plant_env_grams, (unit, pollutant)
    assert not PermitLimit.objects.filter(enterprise__permit_number="").exists()
