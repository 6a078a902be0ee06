"""When a patient's feedback data was erased (patient.feedback_erased_at), and an index on
the access log's time for retention.

Revision ID: 528b23a9c4eb
Revises: 3b8e6f1a9c24
Create Date: 2026-12-02 11:00:00+00:00

The downgrade drops the column with SQLite's own ALTER TABLE … DROP COLUMN (3.35 and later)
rather than a batch rebuild: rebuilding `patient` would drop the table, and with foreign keys
on that cascades into the tables that refer to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "528b23a9c4eb"
down_revision: str | None = "3b8e6f1a9c24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "patient", sa.Column("feedback_erased_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.execute("ALTER TABLE patient DROP COLUMN feedback_erased_at")
