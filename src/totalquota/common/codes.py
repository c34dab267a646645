"""Human-readable numbers of the platform, one scheme for all of them.

Record codes (申请编号 ``ZL2026-0042``, account codes ``A-A-VOCS-2026-0153``, reduction projects
``JP2026-00017``) carry the number of the row itself: :func:`reserve_id` takes the row's primary
key before the INSERT and the code is written with the row. Numbers never repeat and may have gaps
(a rolled-back create uses one up). Taking one never waits for another transaction: on PostgreSQL
it is ``nextval()`` of the table's own identity sequence, which is outside transactions and takes
no row lock; on SQLite every write transaction starts with BEGIN IMMEDIATE, so the next id is read
under the database's single write lock. Counting existing rows and adding one is not used anywhere:
two transactions count the same rows and collide on the code's unique index.

Codes made by counting, kept in existing databases, do not collide with the new ones: such a code's
number was at most the number of rows before it, which is at most its own id, and every new id is
larger than every existing id.

Numbers of documents the bureau issues (文号) are different: they are gapless per kind and year, so
:func:`document_number` keeps a counter row per (kind, year) and locks it to the end of the issuing
transaction (documents are rare, the queue is short). Lock order: counters come after the workflow,
zone and balance rows and before the audit event (see ``ledger.services``).
"""

from __future__ import annotations

from django.db import connection, models, transaction

from totalquota.common import rawsql
from totalquota.common.models import DocumentCounter


def _require_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} must run inside the transaction that writes the row or document")


def reserve_id(model: type[models.Model]) -> int:
    """The primary key the next row of ``model`` is to be inserted with, taken now (no lock held).

    Insert the row with ``id=`` this value in the same transaction; if the transaction rolls back
    the number is simply never used."""
    _require_transaction("reserve_id")
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            pk = model._meta.pk
            assert pk is not None
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, pk.column])
        elif connection.vendor == "sqlite":
            # AUTOINCREMENT tables: sqlite_sequence holds the largest id ever used, so a deleted
            # row's number is not handed out again. The caller's BEGIN IMMEDIATE serialises this.
            cursor.execute(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0) + 1", [table]
            )
        else:  # pragma: no cover - the platform runs on PostgreSQL or SQLite only
            raise NotImplementedError(connection.vendor)
        number = cursor.fetchone()[0]
    if number is None:  # a table without an identity/serial primary key
        raise RuntimeError(f"{table} has no id sequence to take record numbers from")
    return int(number)


def record_code(prefix: str, number: int, width: int = 4) -> str:
    """``prefix`` and ``number`` zero-padded to ``width`` digits (wider numbers keep every digit)."""
    return f"{prefix}{number:0{width}d}"


def document_number(kind: str, year: int) -> int:
    """The next number of a document of ``kind`` issued in ``year``: 1, 2, 3… without gaps.

    Locks the (kind, year) counter row until the caller's transaction ends (lock order step 4:
    after the workflow, zone and balance rows, before the audit event). If the transaction rolls
    back, so does the number, and the next document takes it."""
    _require_transaction("document_number")
    kind = (kind or "").strip()
    if not kind or len(kind) > 40:
        raise ValueError("document kind must be 1-40 characters")
    table = rawsql.quote(DocumentCounter._meta.db_table)
    bump = f"UPDATE {table} SET last = last + 1 WHERE kind = %s AND year = %s RETURNING last"
    with connection.cursor() as cursor:
        cursor.execute(bump, [kind, year])
        row = cursor.fetchone()
        if row is None:
            # First document of this kind and year. A concurrent first issuer makes this INSERT
            # wait on the unique index until it commits; then the UPDATE below counts on from its row.
            cursor.execute(
                f"INSERT INTO {table} (kind, year, last) VALUES (%s, %s, 0) ON CONFLICT (kind, year) DO NOTHING",
                [kind, year],
            )
            cursor.execute(bump, [kind, year])
            row = cursor.fetchone()
    return int(row[0])


def document_code(prefix: str, year: int, number: int) -> str:
    """A 文号 in the bureau's usual form: ``苏园环审〔2026〕7号``."""
    return f"{prefix}〔{year}〕{number}号"
