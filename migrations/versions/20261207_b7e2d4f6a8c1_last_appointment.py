"""The therapist marks a course's last appointment, so "Before the last appointment" is sent.

The rule's last session was the last appointment on or before the episode's end date, and
only the administrator's close sets that date, after which nothing is sent: the rule never
sent anything. `is_last` is the therapist's mark (one appointment of an episode at most,
kept by the service that sets it).

Revision ID: b7e2d4f6a8c1
Revises: d2f6a8c4e1b3
Create Date: 2026-12-07 04:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e2d4f6a8c1"
down_revision: str | None = "d2f6a8c4e1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_last", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("is_last")
