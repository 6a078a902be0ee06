"""Which version a restored crisis-plan version was taken back from.

When the patient makes an earlier version her plan again, its words are saved as a new
version. Nothing said where they came from, so the versions list and the therapist's view
showed a restored plan as if it had just been written. The new version now points at the
version it was restored from (docs/own-plan.md). NULL for every version saved before, and for
every version written rather than restored.

Revision ID: c2e7a9d4f1b6
Revises: f3c8a1e6d2b7
Create Date: 2026-12-04 10:15:00+00:00

SQLite cannot add a foreign key in place: Alembic copies the table, and the copy loses the
append-only triggers, so they are created again after each copy (written out here, as in the
revision that made the table, so this one stays as released when the code moves on).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c2e7a9d4f1b6"
down_revision: str | None = "f3c8a1e6d2b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "crisis_plan_version"
FOREIGN_KEY = "fk_crisis_plan_version_restored_from_id_crisis_plan_version"


def _sqlite_triggers_again() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL alters the table in place: its trigger stays.
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb.lower()}")
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} rows are append-only'); END"
        )


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("restored_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FOREIGN_KEY, TABLE, ["restored_from_id"], ["id"])
    _sqlite_triggers_again()


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch_op.drop_column("restored_from_id")
    _sqlite_triggers_again()
