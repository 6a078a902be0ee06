"""Two indexes for exports of a short range: invitations by due time and scored responses by
submission time, each holding what the export counts, so an export of one quarter reads that
quarter rather than the whole history.

Revision ID: a4c8e2f6b1d3
Revises: b7d4e9a2c6f1
Create Date: 2026-12-02 17:00:00+00:00

See docs/export.md ("Performance"). The condition is written out here (not imported from the
models) so this revision stays as it was released.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4c8e2f6b1d3"
down_revision: str | None = "b7d4e9a2c6f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORED = "status = 'submitted' AND scorable IS TRUE AND total IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_invitation_due",
        "invitation",
        ["due_at"],
        postgresql_include=["episode_id", "state", "sent_at", "non_response_reason"],
    )
    op.create_index(
        "ix_response_scored_submitted",
        "response",
        ["submitted_at"],
        postgresql_include=["instrument_id", "episode_id", "total"],
        postgresql_where=sa.text(SCORED),
        sqlite_where=sa.text(SCORED),
    )


def downgrade() -> None:
    op.drop_index("ix_response_scored_submitted", table_name="response")
    op.drop_index("ix_invitation_due", table_name="invitation")
