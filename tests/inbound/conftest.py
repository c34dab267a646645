"""Inbound-event fixtures: one system client per partner system with its token, and helpers that post
an event and count what is in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.reserve.conftest import T, draft, line, p, stock  # noqa: F401  (fixtures)
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.enforcement.models import Finding
from totalquota.inbound.models import InboundEvent
from totalquota.inbound.services import partner_register
from totalquota.outbox.models import OutboxEvent
from totalquota.registry.models import PermitLimit
from totalquota.reserve import services as reserve_services
from totalquota.reserve.models import RecoveryCase


@dataclass
class Partners:
    """The bearer token text of each partner system's client account."""

    approval: str
    permit: str
    enforcement: str

    def token(self, source: str) -> str:
        return str(getattr(self, source))


@pytest.fixture
def partners(world) -> Partners:
    tokens = {}
    for source in ("approval", "permit", "enforcement"):
        client = UserFactory(username=f"{source}-system", role=Role.SYSTEM)
        partner_register(actor=None, client=client, source=source)
        tokens[source] = token_issue(actor=world.admin.principal, name=f"{source} 系统", client=client)[1]
    return Partners(**tokens)


def post(source: str, body: Any, token: str | None, *, client: Client | None = None):
    """POST ``body`` as JSON to the route of ``source`` with ``token`` (or ``client``'s session)."""
    client = client or Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(f"/api/v1/events/{source}", body, content_type="application/json", **headers)


def counts() -> dict[str, int]:
    """The rows an event may write, to show a refusal wrote none."""
    return {
        "events": InboundEvent.objects.count(),
        "recoveries": RecoveryCase.objects.count(),
        "findings": Finding.objects.count(),
        "permit_limits": PermitLimit.objects.count(),
        "outbox": OutboxEvent.objects.filter(topic__startswith="inbound.").count(),
    }


def approved_application(world, p, stock, draft, grams=800_000):  # noqa: F811
    """An approved application of the company for VOCS, its deduction posted."""
    stock(world.zone_a, "VOCS", 5 * T)
    application = reserve_services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=grams)])
    )
    return reserve_services.application_approve(actor=world.reviewer.principal, application=application)
