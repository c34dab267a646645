"""The demo park's enforcement records: findings from its over-emission flags in every stage, a
credit entry offered to other systems, and findings from an event and an inspection."""

from __future__ import annotations

import pytest

from tests.demo.test_emissions import _seed
from totalquota.enforcement.models import CreditEntry, Finding
from totalquota.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_the_demo_has_findings_in_every_stage_from_its_flags(settings, tmp_path):
    _seed()
    statuses = set(Finding.objects.values_list("status", flat=True))
    assert statuses == {"draft", "notified", "proposed", "decided", "closed"}
    assert set(Finding.objects.values_list("source", flat=True)) == {"over_emission", "event", "inspection"}
    entry = CreditEntry.objects.select_related("decision", "finding").get()
    assert entry.finding.status == "decided" and entry.decision.penalty_fen > 0
    assert entry.decision.prepared_by_id != entry.decision.confirmed_by_id
    assert OutboxEvent.objects.filter(topic="enforcement.credit_entry.recorded").count() == 1
    # A persona unit's login has a notice to answer.
    notified = (
        Finding.objects.filter(status="notified", source="over_emission").select_related("notice").get()
    )
    assert notified.notice.answer_due >= notified.notice.issued_on
