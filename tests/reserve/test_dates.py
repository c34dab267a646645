"""Reserve dates out of their plausible range are refused before anything is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.reserve.conftest import T, line
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import ValidationFailed
from totalquota.reserve import services
from totalquota.reserve.models import IntakeRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=T)])
    )
    return services.application_approve(actor=world.reviewer.principal, application=app)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2020-12-31"])
def test_the_operating_form_refuses_an_implausible_start_of_operation(client, world, approved, day):
    client.force_login(world.officer)
    events = AuditEvent.objects.count()
    response = client.post(
        reverse("reserve:application_operating", args=[approved.pk]), {"started_on": day}, follow=True
    )
    assert response.status_code == 200
    approved.refresh_from_db()
    assert approved.operation_started_on is None and AuditEvent.objects.count() == events
    assert "2021-01-01 至 2100-12-31" in response.content.decode()


def test_the_service_checks_the_start_of_operation_last_before_writing(world, approved):
    with pytest.raises(ValidationFailed) as refused:
        services.application_mark_operating(
            actor=world.officer.principal, application=approved, started_on=dt.date(1, 1, 1)
        )
    assert refused.value.errors[0]["field"] == "started_on"
    approved.refresh_from_db()
    assert approved.operation_started_on is None


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_an_intake_run_with_an_implausible_date_is_refused_and_not_created(world, day):
    with pytest.raises(ValidationFailed):
        services.intake_prepare(actor=world.admin.principal, year=2026, quarter=1, effective_date=day)
    assert not IntakeRun.objects.exists()


def test_the_warnings_api_refuses_implausible_periods(client, world):
    client.force_login(world.officer)
    response = client.get("/api/v1/reserve/warnings", {"start": "0001-01-01", "end": "2026-01-01"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "start"
