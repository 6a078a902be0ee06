"""An erasure of a patient's feedback data removes her crisis plan and standing choices.

They are append-only: the database refused every UPDATE and DELETE. The patient's own words
about what to do when things get very hard are hers, and an erasure left them (and the
therapist's view of them) in place. Now a small table, `erasure_in_progress`, holds the
patient being erased for the length of the erasure's transaction, and the DELETE trigger of
the two tables lets that patient's rows go, and nothing else (docs/privacy.md, "Erasure").
UPDATE is refused as before; the access log, the audits and the consent history are
untouched.

Revision ID: b7e2d4a9c6f1
Revises: c2e7a9d4f1b6
Create Date: 2026-12-05 14:40:00+00:00

The statements are written out here (not imported from the application) so this revision
stays as released when the code moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e2d4a9c6f1"
down_revision: str | None = "c2e7a9d4f1b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("crisis_plan_version", "standing_choice_event")

ERASABLE_FUNCTION = """
CREATE OR REPLACE FUNCTION fit_refuse_change_unless_erased() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM erasure_in_progress WHERE patient_id = OLD.patient_id
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def _refuse(table: str, function: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()"
    )


def _sqlite_delete_trigger(table: str, when: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.execute(
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}{when} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
    )


def upgrade() -> None:
    op.create_table(
        "erasure_in_progress",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_erasure_in_progress_patient_id_patient"),
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_erasure_in_progress")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ERASABLE_FUNCTION)
        for table in TABLES:
            _refuse(table, "fit_refuse_change_unless_erased")
        return
    for table in TABLES:
        _sqlite_delete_trigger(
            table,
            " WHEN NOT EXISTS (SELECT 1 FROM erasure_in_progress"
            " WHERE erasure_in_progress.patient_id = OLD.patient_id)",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            _refuse(table, "fit_refuse_change")
        op.execute("DROP FUNCTION IF EXISTS fit_refuse_change_unless_erased()")
    else:
        for table in TABLES:
            _sqlite_delete_trigger(table, "")
    op.drop_table("erasure_in_progress")
