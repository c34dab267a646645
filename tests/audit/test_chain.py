import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from totalquota.audit.models import AuditEvent
from totalquota.audit.selectors import verify_chain
from totalquota.audit.services import record
from totalquota.common import append_only
from totalquota.registry.services import enterprise_update

pytestmark = pytest.mark.django_db


def make_history(world, n=5):
    for i in range(n):
        enterprise_update(actor=world.admin, enterprise=world.company, contact_phone=f"0512-6000000{i}")


@pytest.mark.django_db(transaction=True)
def test_every_write_leaves_a_linked_event_and_the_chain_verifies(world):
    make_history(world)
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) == 5
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash
    assert verify_chain().ok
    call_command("audit_verify")


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(world):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(actor=world.admin, action="x", object_type="t", object_id=1)


def test_an_event_rolls_back_with_the_change_it_describes(world):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record(actor=world.admin, action="doomed", object_type="t", object_id=1)
        1 / 0  # noqa: B018
    assert not AuditEvent.objects.filter(action="doomed").exists()


def test_the_database_refuses_to_update_or_delete_events(world):
    make_history(world, 1)
    event = AuditEvent.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get().action == "enterprise.update"


def _tamper(sql, params):
    """Someone with database access lifts the triggers and edits the log behind the ORM's back."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for statement in append_only.drop_sql(vendor, "audit_auditevent"):
            cursor.execute(statement)
        cursor.execute(sql, params)
        for statement in append_only.create_sql(vendor, "audit_auditevent"):
            cursor.execute(statement)


def test_the_verifier_finds_the_first_row_edited_behind_the_orms_back(world):
    make_history(world, 5)
    third = AuditEvent.objects.get(seq=3)
    _tamper("UPDATE audit_auditevent SET after = %s WHERE id = %s", ['{"contact_phone": "forged"}', third.pk])
    report = verify_chain()
    assert not report.ok and report.broken_at == 3
    with pytest.raises(CommandError, match="序号 3"):
        call_command("audit_verify")


def test_the_verifier_notices_a_deleted_row_and_a_deleted_tail(world):
    make_history(world, 5)
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    assert verify_chain().broken_at == 2
    _tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [2])
    report = verify_chain()
    assert report.broken_at == 2 and "末尾" in report.reason
