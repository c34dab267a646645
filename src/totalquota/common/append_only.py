"""Database triggers that make a table append-only on PostgreSQL and SQLite.

Used for records that must never change once written: the audit log, ledger transfers, workflow
transitions. The triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) whoever issues
them, so not even a bug or a hand-typed SQL statement can rewrite history; corrections are new
rows. Migrations install them with :func:`operation`.
"""

from __future__ import annotations

from django.db import migrations

# Every append-only table, so that tooling (the test database flush) can find them all. A migration
# installing triggers on a table not listed here is refused.
APPEND_ONLY_TABLES: frozenset[str] = frozenset(
    {
        "audit_auditevent",
        "audit_auditlink",
        "ledger_posting",
        "ledger_transfer",
        "ledger_transferorigin",
        "reserve_applicationtransition",
        "reserve_intaketransition",
        "reserve_recoverytransition",
        "reserve_adjustmenttransition",
        "reductions_projecttransition",
        "reductions_opinion",
        "emissions_reporttransition",
        "emissions_listchange",
        "emissions_technicalopinion",
        "enforcement_findingtransition",
        "enforcement_notice",
        "enforcement_answer",
        "enforcement_creditentry",
        "registry_unitversion",
    }
)

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION totalquota_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
"""


def create_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            PG_FUNCTION,
            f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"',
            f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION totalquota_refuse_change()",
            f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"',
            f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION totalquota_refuse_change()",
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f'CREATE TRIGGER {table}_no_update BEFORE UPDATE ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
            f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
        ]
    raise NotImplementedError(f"append-only triggers are not written for {vendor}")


def drop_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"',
            f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"',
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    raise NotImplementedError(vendor)


def operation(table: str) -> migrations.RunPython:
    """A migration operation installing the triggers on ``table`` (and removing them on reverse)."""
    if table not in APPEND_ONLY_TABLES:
        raise ValueError(f"add {table} to APPEND_ONLY_TABLES first")

    def forwards(apps, schema_editor):
        for sql in create_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(sql, params=None)

    def backwards(apps, schema_editor):
        for sql in drop_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(forwards, backwards, elidable=False)
