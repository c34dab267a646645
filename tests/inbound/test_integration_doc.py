"""The example bodies of docs/integration.md (section 8), parsed out of the guide and posted in its
order: each is accepted and does what the guide says, so the guide and the code cannot drift."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.factories import EnterpriseFactory
from tests.inbound.conftest import T, counts, post
from tests.reserve.conftest import line
from totalquota.enforcement.models import Finding
from totalquota.inbound.models import KINDS_OF, InboundEvent
from totalquota.registry.models import PermitLimit
from totalquota.reserve import services as reserve_services
from totalquota.reserve.models import QuotaApplication, RecoveryCase

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
EXAMPLE = re.compile(r"```json\nPOST /api/v1/events/(\w+)\n(.*?)\n```", re.S)

# What each example does in the guide's order (the project is cancelled after its approval, the
# permit changed to below the project's 0.8 t/a allocation of VOCs, then revoked).
EXPECTED = {
    "eia.approved": "applied",
    "eia.cancelled": "applied",
    "permit.issued": "applied",
    "permit.changed": "needs_review",
    "permit.revoked": "needs_review",
    "violation.reported": "applied",
}


def examples() -> list[tuple[str, dict]]:
    return [(source, json.loads(text)) for source, text in EXAMPLE.findall(GUIDE.read_text(encoding="utf-8"))]


def test_the_guide_has_one_example_of_every_kind_on_its_systems_route():
    found = [(source, body["kind"]) for source, body in examples()]
    assert sorted(kind for _s, kind in found) == sorted(EXPECTED)
    for source, kind in found:
        assert kind in KINDS_OF[source]


def test_every_example_of_the_guide_is_accepted_and_acted_on(world, partners, p, stock, draft):
    bodies = examples()
    uscc = bodies[0][1]["credit_code"]
    unit = EnterpriseFactory(
        zone=world.zone_a, uscc=uscc, permit_number=f"{uscc}001V", name="苏州示例电子有限公司"
    )
    stock(world.zone_a, "VOCS", 5 * T)
    application = reserve_services.application_submit(
        actor=world.officer.principal,
        application=draft(
            [line(p["VOCS"], project_env=800_000)], actor=world.officer.principal, enterprise=unit
        ),
    )
    reserve_services.application_approve(actor=world.reviewer.principal, application=application)
    QuotaApplication.objects.filter(pk=application.pk).update(code=bodies[0][1]["application_code"])
    for source, body in bodies:
        response = post(source, body, partners.token(source))
        assert response.status_code == 201, (body["kind"], response.content)
        assert response.json()["state"] == EXPECTED[body["kind"]], (body["kind"], response.json()["result"])
        assert post(source, body, partners.token(source)).status_code == 200
    assert InboundEvent.objects.count() == len(bodies) == counts()["events"]
    assert RecoveryCase.objects.get().line.application_id == application.pk
    assert Finding.objects.get().event_reference == "苏园环罚〔2026〕88号"
    lead = PermitLimit.objects.get(enterprise=unit, pollutant=p["PB"])
    assert lead.permitted_grams == 800  # 0.8 kg/a
    assert (
        PermitLimit.objects.get(enterprise=unit, pollutant=p["VOCS"], valid_to__isnull=True).permitted_grams
        == 500_000
    )
