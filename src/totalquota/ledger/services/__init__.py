"""Writes on the ledger. Every movement of quota in the platform goes through these functions.

Each operation is one atomic :class:`~totalquota.ledger.models.Posting` with an idempotency key,
written in this order inside one transaction:

1. idempotency: a posting with the same key and the same content is returned as it is; other
   content under the same key is refused (409);
2. locks, in the platform's lock order below;
3. every check (amounts, pollutants, open accounts, availability) before anything is written;
4. transfers, their origins, balances, zone rows and daily changes; then one audit event.

Lock order of the platform
--------------------------
This is the one reference for every write path (ledger, reserve, reductions, registry, audit).
A transaction takes row locks only in this order, so no two transactions can wait on each other
in a cycle (PostgreSQL would otherwise detect a deadlock and fail one of them with a 500):

1. the workflow object's row: the application, reduction project or line, intake run or
   upper-level request the decision is about (``select_for_update`` in the calling service), one
   per transaction. It serialises decisions on that object and makes "count what this object
   already has and add one" safe for keys that belong to it (e.g. a line's N-th hold);
2. the zone x pollutant rows (:class:`ZoneBalance`), sorted by (zone id, pollutant id), for every
   zone and pollutant the transaction will touch (:func:`.locks.zone_rows`). A path that makes
   several ledger operations in one transaction (a submit or an approval of several lines, an
   intake of several lots) takes all of them at once, up front, with :func:`lock_zones`:
   otherwise the second operation would take its zone row after the first one's audit event
   (step 5);
3. account balance rows, sorted by account id (:func:`.locks.balance_rows`), and account rows.
   Every account belongs to a zone and pollutant, and nothing locks an account's rows without
   holding that zone row first, so these are contended only by the holder of the zone row:
   a later operation of the same transaction may take them after an earlier operation's audit
   event without any risk of waiting. Rows created under a zone row (a zone's outside-world
   accounts, daily changes) are created under it for the same reason;
4. issued documents and counters: the row of an issued document being superseded (or whose
   files are stored), then the gapless document numbers of
   :func:`totalquota.common.codes.document_number`, by (kind, year). They are the last locks a
   transaction takes (an approval issues its ANNEX-1 after its postings, a recovery supersedes
   it after its posting), so taking them after those operations' audit events cannot close a
   cycle: whoever holds them waits for no other row;
5. the audit chain head is not taken by any business transaction: ``audit.record`` only inserts
   the event (and its queue row) without a lock; the chainer (:mod:`totalquota.audit.chain`)
   locks the head after commit, in a short transaction of its own that takes no other lock.
   Services still record their events after their own locks, so the order above also holds for
   a transaction that is chained in its own hook (SQLite, tests).

Record codes (application, account and project numbers) take no lock at all: they come from the
row's own id (:mod:`totalquota.common.codes`).

On SQLite the transaction starts with BEGIN IMMEDIATE (settings), which already serialises
writers; ``select_for_update`` is a no-op there and the same code is correct.

Layout
------
This package re-exports the public operations other apps call; the topics live in its modules:

* :mod:`.operations`: intake of lots (:func:`lot_open`), draws and holds on a zone's lots
  (:func:`draw`), transfers between existing accounts (:func:`transfer`);
* :mod:`.holds`: posting, releasing and expiring holds;
* :mod:`.adjustments`: the bureau's zone transfers (功能区间调剂) and corrections (更正);
* :mod:`.accounts`: opening and closing accounts, the zones' outside-world accounts;
* :mod:`.engine`: input checks, idempotency and the one writer of postings;
* :mod:`.locks`: the zone and balance row locks (steps 2 and 3 above);
* :mod:`.origins`: which grams an account holds, by where they were first banked;
* :mod:`.reconcile_runs`: checking the ledger against its transfers and keeping the result
  (:func:`run_reconcile`).
"""

from totalquota.ledger.services.accounts import account_close, account_open, external_account
from totalquota.ledger.services.adjustments import reverse, zone_transfer
from totalquota.ledger.services.engine import CLAUSE
from totalquota.ledger.services.holds import hold_post, hold_void, holds_expire
from totalquota.ledger.services.locks import lock_zones
from totalquota.ledger.services.operations import draw, lot_open, transfer
from totalquota.ledger.services.reconcile_runs import run_reconcile

__all__ = [
    "CLAUSE",
    "account_close",
    "account_open",
    "draw",
    "external_account",
    "hold_post",
    "hold_void",
    "holds_expire",
    "lock_zones",
    "lot_open",
    "reverse",
    "run_reconcile",
    "transfer",
    "zone_transfer",
]
