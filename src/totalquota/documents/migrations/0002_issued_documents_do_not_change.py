"""An issued document does not change: a trigger refuses an UPDATE of what it states (number,
文号, version, subject, issuer, date, figures, verification code), of its files once stored, and
of its state once it is superseded or revoked. The services make exactly the changes left over:
storing the files once, and valid → superseded | revoked."""

from django.db import migrations

FIXED = [
    "kind",
    "year",
    "number",
    "code",
    "version",
    "subject_type_id",
    "subject_id",
    "holder",
    "subject_label",
    "issued_by_id",
    "issued_on",
    "issued_at",
    "figures",
    "verification_code",
]
FILES = ["pdf", "pdf_sha256", "xlsx", "xlsx_sha256", "stored_at"]
TABLE = "documents_issueddocument"
MESSAGE = "documents_issueddocument: an issued document does not change"


def _changed(columns, distinct):
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


def _condition(distinct):
    return (
        f"({_changed(FIXED, distinct)})"
        f" OR (OLD.pdf_sha256 <> '' AND ({_changed(FILES, distinct)}))"
        f" OR (OLD.state <> 'valid' AND ({_changed(['state', 'superseded_by_id', 'revoked_reason'], distinct)}))"
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {TABLE}_fixed() RETURNS trigger AS $$
            BEGIN
                IF {_condition("IS DISTINCT FROM")} THEN
                    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql;
            """
        )
        schema_editor.execute(
            f'CREATE TRIGGER {TABLE}_fixed BEFORE UPDATE ON "{TABLE}" '
            f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_fixed()"
        )
    else:
        schema_editor.execute(
            f'CREATE TRIGGER {TABLE}_fixed BEFORE UPDATE ON "{TABLE}" '
            f"WHEN {_condition('IS NOT')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {TABLE}_fixed ON "{TABLE}"')
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_fixed()")
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_fixed")


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
