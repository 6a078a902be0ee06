"""Two indexes for the service export over millions of rows: scored responses in the order the
export reads them (partial, with the total) and invitations per episode and due time (with what
the export counts), so PostgreSQL answers from the indexes alone, without a sort.

Revision ID: f3a9d1c7e5b2
Revises: f3a9c1e5b7d2
Create Date: 2026-12-02 14:00:00+00:00

Measured with benchmarks/bench_export_5m.py (docs/export.md). The condition is written out
here (not imported from the models) so this revision stays as it was released.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a9d1c7e5b2"
down_revision: str | None = "f3a9c1e5b7d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORED = "status = 'submitted' AND scorable IS TRUE AND total IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_response_scored",
        "response",
        ["instrument_id", "episode_id", "submitted_at", "id"],
        postgresql_include=["total"],
        postgresql_where=sa.text(SCORED),
        sqlite_where=sa.text(SCORED),
    )
    op.create_index(
        "ix_invitation_episode_due",
        "invitation",
        ["episode_id", "due_at"],
        postgresql_include=["state", "sent_at", "non_response_reason"],
    )


def downgrade() -> None:
    op.drop_index("ix_invitation_episode_due", table_name="invitation")
    op.drop_index("ix_response_scored", table_name="response")
