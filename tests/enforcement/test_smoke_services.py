from tests.enforcement.conftest import proposed
from totalquota.enforcement import services
from totalquota.enforcement.models import CreditEntry
from totalquota.outbox.models import OutboxEvent


def test_chain(world, answered):
    finding = proposed(world, answered)
    assert finding.status == "proposed"
    finding = services.finding_confirm(actor=world.reviewer.principal, finding=finding)
    assert finding.status == "decided"
    assert CreditEntry.objects.count() == 1
    ev = OutboxEvent.objects.get(topic="enforcement.credit_entry.recorded")
    assert ev.payload["penalty_fen"] == 5_000_000
