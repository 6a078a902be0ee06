"""A started questionnaire carried ahead of a moved session is reminded at the new time even
when its first reminder went already.

An invitation's reminder was once only: its message's dedupe key ended in ":1". A
questionnaire the patient has started is now kept open for a session moved by a few days,
and reminded at the moment the new time's questionnaire would have been sent; when its first
reminder had gone before the move, that nudge was swallowed by the key. `reminder_round`
numbers the reminder `reminder_at` stands for, and the key ends in it.

Revision ID: a9c3e5f7d1b4
Revises: e4a7c1f9b3d2
Create Date: 2026-12-06 01:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9c3e5f7d1b4"
down_revision: str | None = "e4a7c1f9b3d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_round", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("reminder_round")
