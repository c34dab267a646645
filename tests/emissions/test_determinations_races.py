"""Determinations under parallel requests through the API (PostgreSQL, real threads): two runs of
one zone at once, two issues at once, a confirmation and a rejection at once; never a 500, one
outcome each, documents numbered without gaps."""

from __future__ import annotations

import pytest

from tests.emissions.conftest import T
from tests.emissions.helpers_determinations import ALLOWANCE_YEAR, accepted, figures
from tests.thread_helpers import run_at_once
from tests.workflow.test_races import TIMEOUT, signed_in
from totalquota.documents.models import DocumentKind, IssuedDocument
from totalquota.emissions.models import Determination, DeterminationLine
from totalquota.emissions.services import determinations as svc

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
RUN = {"zone": "A", "year": ALLOWANCE_YEAR}


def post(user, url, body=None):
    response = signed_in(user).post(url, body or {}, content_type="application/json")
    return response.status_code


def test_two_runs_of_one_zone_at_once_leave_one_determination_per_unit(world, p):
    accepted(world, [figures(p["COD"], T, allowed=2 * T), figures(p["VOCS"], T, permitted=3 * T)])
    users = [world.reviewer, world.reviewer2]
    codes = run_at_once(
        lambda n: post(users[n], "/api/v1/emissions/determinations/compute", RUN), 2, timeout=TIMEOUT
    )
    assert sorted(codes) in ([200, 200], [200, 409])
    assert Determination.objects.count() == 1
    assert DeterminationLine.objects.count() == 2


def test_two_issues_at_once_issue_each_determination_once_with_gapless_numbers(world, p):
    from tests.factories import EnterpriseFactory, UserFactory
    from totalquota.accounts.roles import Role

    for n in range(3):
        unit = EnterpriseFactory(zone=world.zone_a, name=f"苏州并发{n}有限公司")
        user = UserFactory(username=f"race{n}", role=Role.ENTERPRISE, enterprise=unit)
        accepted(world, [figures(p["COD"], T, allowed=(n + 1) * T)], enterprise=unit, user=user)
    svc.determination_compute(actor=world.reviewer.principal, zone=world.zone_a, year=ALLOWANCE_YEAR)
    third = UserFactory(username="reviewer3", role=Role.REVIEWER)
    users = [world.reviewer2, third]
    codes = run_at_once(
        lambda n: post(users[n], "/api/v1/emissions/determinations/issue", RUN), 2, timeout=TIMEOUT
    )
    assert sorted(codes) == [200, 409]
    numbers = sorted(
        IssuedDocument.objects.filter(kind=DocumentKind.DETERMINATION).values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3]


def test_a_confirmation_and_a_rejection_at_once_make_one_decision(world, p):
    from tests.factories import UserFactory
    from totalquota.accounts.roles import Role

    accepted(world, [figures(p["COD"], T, allowed=2 * T)])
    svc.determination_compute(actor=world.reviewer.principal, zone=world.zone_a, year=ALLOWANCE_YEAR)
    line = DeterminationLine.objects.get()
    svc.determination_override_propose(actor=world.reviewer.principal, line=line, grams=T, reason="停产")
    third = UserFactory(username="reviewer3", role=Role.REVIEWER)
    url = f"/api/v1/emissions/determination-lines/{line.pk}"
    jobs = [(world.reviewer2, f"{url}/confirm", None), (third, f"{url}/reject", {"reason": "依据不足"})]
    codes = run_at_once(lambda n: post(jobs[n][0], jobs[n][1], jobs[n][2]), 2, timeout=TIMEOUT)
    assert sorted(codes) == [200, 409]
    line.refresh_from_db()
    assert line.allowed_grams in (T, 2 * T) and not line.override_pending
