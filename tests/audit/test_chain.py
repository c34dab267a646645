"""The audit log: every write leaves an event, linked into a keyed chain right after its commit,
which nobody with only database access can rewrite unnoticed."""

import hashlib
import io
import itertools
import json
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import TestCase

from totalquota.audit import chain
from totalquota.audit.models import AuditChainHead, AuditEvent, AuditLink, AuditPending
from totalquota.audit.selectors import verify_chain
from totalquota.audit.services import record
from totalquota.common import append_only
from totalquota.registry.services import enterprise_update

pytestmark = pytest.mark.django_db

KEY_1 = "test-1:" + "5a" * 32
KEY_2 = "test-2:" + "c3" * 32


_phone = itertools.count(1)


def make_history(world, n=5):
    """``n`` committed-looking writes (each a new phone number, so each is a change): inside the
    test's transaction on_commit never fires, so the hooks are captured and run, as they run after
    a real commit."""
    for _ in range(n):
        with TestCase.captureOnCommitCallbacks(execute=True):
            enterprise_update(
                actor=world.admin.principal,
                enterprise=world.company,
                contact_phone=f"0512-{next(_phone):08d}",
            )


def links():
    return list(AuditLink.objects.select_related("event").order_by("seq"))


def _tamper(sql, params=(), tables=("audit_auditevent", "audit_auditlink")):
    """Someone with database access lifts the triggers and edits the log behind the ORM's back."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for table in tables:
            for statement in append_only.drop_sql(vendor, table):
                cursor.execute(statement)
        for one_sql, one_params in sql if isinstance(sql, list) else [(sql, params)]:
            cursor.execute(one_sql, one_params)
        for table in tables:
            for statement in append_only.create_sql(vendor, table):
                cursor.execute(statement)


def _forge_from(seq):
    """Recompute every link from ``seq`` on, and the head, the way the chain used to be computed:
    SHA-256 over the previous digest and the canonical content, which is all one can do without
    the key."""
    statements = []
    prev = AuditLink.objects.get(seq=seq).prev
    for link in AuditLink.objects.select_related("event").filter(seq__gte=seq).order_by("seq"):
        link.prev = prev
        message = chain.link_message(
            seq=link.seq,
            prev=prev,
            key_id=link.key_id,
            algorithm=link.algorithm,
            linked_at=link.linked_at,
            content=chain.event_content(link.event),
        )
        forged = hashlib.sha256(prev.encode() + message).hexdigest()
        statements.append(
            ("UPDATE audit_auditlink SET prev = %s, mac = %s WHERE id = %s", [prev, forged, link.pk])
        )
        prev = forged
    statements.append(("UPDATE audit_auditchainhead SET hash = %s WHERE id = 1", [prev]))
    _tamper(statements)


@pytest.mark.django_db(transaction=True)
def test_every_write_leaves_an_event_linked_after_commit_and_the_chain_verifies(world):
    for i in range(5):
        enterprise_update(
            actor=world.admin.principal, enterprise=world.company, contact_phone=f"0512-6000000{i}"
        )
    chained = links()
    assert [link.seq for link in chained] == [1, 2, 3, 4, 5]
    assert [link.event.action for link in chained] == ["enterprise.update"] * 5
    assert [link.event_id for link in chained] == sorted(link.event_id for link in chained)
    for earlier, later in itertools.pairwise(chained):
        assert later.prev == earlier.mac
    assert chained[0].prev == chain.GENESIS
    assert {link.key_id for link in chained} == {"test-1"} and {link.algorithm for link in chained} == {
        "sha256"
    }
    assert not AuditPending.objects.exists()
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, chained[-1].mac)
    assert verify_chain().ok
    call_command("audit_verify")


def test_an_event_is_written_in_the_transaction_and_linked_only_after_its_commit(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        event = record(actor=world.admin, action="x.one", object_type="t", object_id=1)
        record(actor=world.admin, action="x.two", object_type="t", object_id=2)
        assert event.seq is None and not AuditLink.objects.exists()
        assert AuditPending.objects.count() == 2
    assert len(callbacks) == 1  # one chaining per transaction, however many events it wrote
    assert [link.event.action for link in links()] == ["x.one", "x.two"]
    assert AuditEvent.objects.get(pk=event.pk).seq == 1
    assert not AuditPending.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(world):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(actor=world.admin, action="x", object_type="t", object_id=1)


def test_an_event_rolls_back_with_the_change_it_describes(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        record(actor=world.admin, action="doomed", object_type="t", object_id=1)
        1 / 0  # noqa: B018
    assert not callbacks
    assert not AuditEvent.objects.filter(action="doomed").exists()
    assert not AuditPending.objects.exists() and not AuditLink.objects.exists()


def test_the_database_refuses_to_update_or_delete_events_and_links(world):
    make_history(world, 1)
    event = AuditEvent.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLink.objects.filter(event=event).update(mac="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLink.objects.filter(event=event).delete()
    assert AuditEvent.objects.get().action == "enterprise.update"
    assert AuditLink.objects.get().event_id == event.pk


def test_an_edited_value_is_found_even_with_every_later_digest_recomputed(world):
    make_history(world, 5)
    third = AuditLink.objects.get(seq=3).event
    _tamper("UPDATE audit_auditevent SET after = %s WHERE id = %s", ['{"contact_phone": "forged"}', third.pk])
    _forge_from(3)
    report = verify_chain()
    assert not report.ok and report.broken_at == 3 and "改动" in report.reason
    with pytest.raises(CommandError, match="序号 3"):
        call_command("audit_verify")
    with pytest.raises(CommandError, match="对账未通过"):
        call_command("ledger_reconcile")


# Every stored column of an event, with a value a forger might write into it.
FORGERIES = {
    "actor_label": "'某某'",
    "role": "'admin'",
    "object_repr": "'别的单位'",
    "action": "'enterprise.create'",
    "object_type": "'registry.zone'",
    "object_id": "'999'",
    "before": '\'{"contact_phone": "x"}\'',
    "after": '\'{"contact_phone": "x"}\'',
    "request_id": "'forged-request'",
    "token_id": "42",
    "at": "'2020-01-01 00:00:00+00:00'",
    "actor_id": None,  # filled in with another user's id
    "v1_seq": "424242",
    "v1_prev_hash": "'" + "1" * 64 + "'",
    "v1_hash": "'" + "2" * 64 + "'",
}


def test_the_forgeries_cover_every_stored_column_of_an_event():
    columns = {f.column for f in AuditEvent._meta.concrete_fields} - {"id"}
    assert columns == set(FORGERIES)


@pytest.mark.parametrize("column", sorted(FORGERIES))
def test_editing_any_column_of_an_event_is_detected(world, column):
    make_history(world, 3)
    second = AuditLink.objects.get(seq=2).event
    value = FORGERIES[column] if column != "actor_id" else str(world.reviewer.pk)
    _tamper(f"UPDATE audit_auditevent SET {column} = {value} WHERE id = %s", [second.pk])
    _forge_from(2)
    report = verify_chain()
    assert report.broken_at == 2, (column, report)


def test_a_deleted_row_a_deleted_tail_and_a_head_moved_back_are_detected(world):
    make_history(world, 5)
    second = AuditLink.objects.get(seq=2)
    _tamper(
        [
            ("DELETE FROM audit_auditlink WHERE id = %s", [second.pk]),
            ("DELETE FROM audit_auditevent WHERE id = %s", [second.event_id]),
        ]
    )
    report = verify_chain()
    assert report.broken_at == 2 and "缺少序号 2" in report.reason


def test_a_deleted_tail_is_detected_and_so_is_the_head_moved_back_over_it(world):
    make_history(world, 5)
    tail = list(AuditLink.objects.filter(seq__gte=4))
    _tamper(
        [
            ("DELETE FROM audit_auditlink WHERE seq >= %s", [4]),
            (
                f"DELETE FROM audit_auditevent WHERE id IN ({', '.join(str(t.event_id) for t in tail)})",
                [],
            ),
        ]
    )
    report = verify_chain()
    assert report.broken_at == 4 and "末尾" in report.reason
    third = AuditLink.objects.get(seq=3)
    _tamper("UPDATE audit_auditchainhead SET seq = 3, hash = %s WHERE id = 1", [third.mac], tables=())
    report = verify_chain()
    assert report.broken_at == 4 and "链头" in report.reason


def _stuck(world):
    with transaction.atomic():  # inside the test's transaction: its on_commit hook never runs
        return record(actor=world.admin, action="x.stuck", object_type="t", object_id=1)


def test_an_event_left_unchained_longer_than_the_grace_period_is_reported(world, settings):
    make_history(world, 1)
    event = _stuck(world)
    settings.AUDIT_UNCHAINED_GRACE_SECONDS = 0
    report = verify_chain()
    assert not report.ok and report.unchained == 1 and report.first_unchained == event.pk
    assert report.broken_at is None  # the check linked it: the chain itself is whole
    assert AuditEvent.objects.get(pk=event.pk).seq == 2
    assert verify_chain().ok  # reported once, when found
    _stuck(world)
    with pytest.raises(CommandError, match="未入链"):
        call_command("audit_verify")
    _stuck(world)
    with pytest.raises(CommandError, match="对账未通过"):
        call_command("ledger_reconcile", stderr=io.StringIO())


def test_an_event_whose_queue_row_was_removed_is_still_reported(world, settings):
    with transaction.atomic():
        event = record(actor=world.admin, action="x.hidden", object_type="t", object_id=1)
    AuditPending.objects.filter(event_id=event.pk).delete()
    settings.AUDIT_UNCHAINED_GRACE_SECONDS = 0
    report = verify_chain()
    assert report.unchained == 1 and report.first_unchained == event.pk


def test_a_fresh_event_within_the_grace_period_is_not_a_finding(world):
    with transaction.atomic():
        record(actor=world.admin, action="x.fresh", object_type="t", object_id=1)
    assert verify_chain().ok


@pytest.mark.parametrize("algorithm", ["sha256", "sm3"])
def test_both_digest_algorithms_verify_and_detect_an_edit(world, settings, algorithm):
    settings.AUDIT_DIGEST = algorithm
    make_history(world, 3)
    assert {link.algorithm for link in links()} == {algorithm}
    assert verify_chain().ok
    first = links()[0]
    message = chain.link_message(
        seq=1,
        prev=first.prev,
        key_id="test-1",
        algorithm=algorithm,
        linked_at=first.linked_at,
        content=chain.event_content(first.event),
    )
    import hmac

    assert (
        first.mac == hmac.new(bytes.fromhex("5a" * 32), message, lambda: hashlib.new(algorithm)).hexdigest()
    )
    _tamper("UPDATE audit_auditevent SET role = 'admin2' WHERE id = %s", [first.event_id])
    assert verify_chain().broken_at == 1


def test_a_chain_can_change_algorithm_and_keep_verifying(world, settings):
    make_history(world, 2)
    settings.AUDIT_DIGEST = "sm3"
    make_history(world, 2)
    assert [link.algorithm for link in links()] == ["sha256", "sha256", "sm3", "sm3"]
    assert verify_chain().ok


def test_an_unknown_digest_setting_leaves_events_queued_and_is_reported(world, settings):
    settings.AUDIT_DIGEST = "md5"
    make_history(world, 1)
    assert not AuditLink.objects.exists() and AuditPending.objects.count() == 1
    report = verify_chain()
    assert not report.ok and "AUDIT_DIGEST" in report.reason


def test_after_a_key_rotation_old_links_verify_with_their_own_key(world, settings):
    make_history(world, 2)
    settings.AUDIT_HMAC_KEYS = f"{KEY_1},{KEY_2}"
    make_history(world, 2)
    assert [link.key_id for link in links()] == ["test-1", "test-1", "test-2", "test-2"]
    assert verify_chain().ok
    settings.AUDIT_HMAC_KEYS = KEY_2  # the old key lost: its links cannot be verified any more
    report = verify_chain()
    assert report.broken_at == 1 and "test-1" in report.reason


def test_the_rotate_command_keeps_a_0600_keyring_file_and_new_links_use_the_newest(world, settings, tmp_path):
    settings.AUDIT_HMAC_KEYS = ""
    settings.AUDIT_KEY_FILE = tmp_path / "var" / "keys" / "audit.keys"
    call_command("audit_rotate_key", "--if-missing", stdout=io.StringIO())
    path = settings.AUDIT_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    call_command("audit_rotate_key", "--if-missing", stdout=io.StringIO())
    assert path.read_text() == first  # already there: left alone
    make_history(world, 1)
    call_command("audit_rotate_key", stdout=io.StringIO())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ids = [line.split()[0] for line in path.read_text().splitlines() if line and not line.startswith("#")]
    assert len(ids) == 2
    make_history(world, 1)
    assert [link.key_id for link in links()] == ids
    assert verify_chain().ok
    assert "audit" not in json.dumps(
        list(AuditEvent.objects.values("after")), default=str
    )  # no key in the log
    for key_hex in (line.split()[1] for line in path.read_text().splitlines() if line and line[0] != "#"):
        assert not AuditLink.objects.filter(mac__contains=key_hex).exists()


def test_the_first_chaining_creates_the_keyring_but_a_lost_one_is_never_replaced(world, settings, tmp_path):
    settings.AUDIT_HMAC_KEYS = ""
    settings.AUDIT_KEY_FILE = tmp_path / "keys" / "audit.keys"
    make_history(world, 1)
    assert stat.S_IMODE(settings.AUDIT_KEY_FILE.stat().st_mode) == 0o600
    assert AuditLink.objects.count() == 1
    settings.AUDIT_KEY_FILE.unlink()
    make_history(world, 1)
    assert not settings.AUDIT_KEY_FILE.exists()  # not silently replaced by a new key
    assert AuditLink.objects.count() == 1 and AuditPending.objects.count() == 1
    report = verify_chain()
    assert not report.ok and "密钥" in report.reason


# --- carrying the plain SHA-256 chain of older events into the keyed chain --------------------------


def _v1_history(world, n):
    """Events as the platform wrote them before keyed links: a SHA-256 chain in v1_* columns."""
    from django.utils import timezone

    prev = chain.GENESIS
    for seq in range(1, n + 1):
        event = AuditEvent(
            at=timezone.now(),
            actor_id=world.admin.pk,
            actor_label="admin",
            role="admin",
            action="enterprise.update",
            object_type="registry.enterprise",
            object_id=str(world.company.pk),
            object_repr=str(world.company),
            after={"contact_phone": f"0512-{seq}"},
            v1_seq=seq,
            v1_prev_hash=prev,
        )
        event.v1_hash = chain.v1_digest(event)
        event.save()
        prev = event.v1_hash
    AuditChainHead.objects.update_or_create(
        pk=1, defaults={"seq": 0, "hash": "", "v1_seq": n, "v1_hash": prev, "carried": False}
    )
    return prev


def test_the_older_sha256_chain_is_verified_then_carried_in_order_under_the_key(world):
    anchor = _v1_history(world, 4)
    make_history(world, 1)  # a new event written before the carry-over ran
    chained = links()
    assert [link.event.v1_seq for link in chained] == [1, 2, 3, 4, None]
    assert chained[0].prev == anchor
    head = AuditChainHead.objects.get(pk=1)
    assert head.carried and (head.v1_seq, head.v1_hash) == (4, anchor)
    assert verify_chain().ok
    # The old rows are now covered by the keyed links too.
    _tamper("UPDATE audit_auditevent SET object_repr = 'x' WHERE v1_seq = 2")
    assert verify_chain().broken_at == 2


def test_a_broken_older_chain_is_refused_and_nothing_is_linked(world):
    _v1_history(world, 3)
    _tamper('UPDATE audit_auditevent SET after = \'{"contact_phone": "forged"}\' WHERE v1_seq = 2')
    with pytest.raises(CommandError, match="旧审计链"):
        call_command("audit_chain")
    assert not AuditLink.objects.exists()
    report = verify_chain()
    assert not report.ok and "旧审计链" in report.reason


def test_the_chainer_refuses_to_append_after_a_head_changed_without_the_key(world):
    make_history(world, 3)
    _tamper("UPDATE audit_auditchainhead SET seq = 1 WHERE id = 1", tables=())
    with pytest.raises(CommandError, match="链头"):
        call_command("audit_chain")
    make_history(world, 1)  # the write itself commits; its event waits, unlinked
    assert AuditLink.objects.count() == 3 and AuditPending.objects.count() == 1


def test_a_head_kept_outside_the_database_shows_a_chain_rebuilt_or_cut_back(world):
    make_history(world, 4)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    kept = out.getvalue().strip().splitlines()[-1].split()[1]  # "链头 4:<mac>…"
    seq, mac = kept.split(":")[0], kept.split(":")[1][:64]
    call_command("audit_verify", "--anchor", f"{seq}:{mac}", stdout=io.StringIO())
    # Someone with the database alone wipes the chain and resets the head to look new.
    _tamper(
        [
            ("DELETE FROM audit_auditlink", []),
            ("UPDATE audit_auditchainhead SET seq = 0, hash = '', head_mac = '' WHERE id = 1", []),
            ("INSERT INTO audit_auditpending (event_id) SELECT id FROM audit_auditevent", []),
        ]
    )
    with pytest.raises(CommandError, match="外部留存"):
        call_command("audit_verify", "--anchor", f"{seq}:{mac}")
