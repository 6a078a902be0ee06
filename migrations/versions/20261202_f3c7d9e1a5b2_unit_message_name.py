"""A unit's neutral sender name for text messages and e-mails (unit.message_name).

A patient's lock screen shows the first words of a text message; a unit can set a name that
does not say "psychiatric outpatient clinic" to anyone who glances at the phone. Empty means
the messages use a neutral default (docs/messaging.md).

Revision ID: f3c7d9e1a5b2
Revises: b6e2f4a8c0d1
Create Date: 2026-12-02 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3c7d9e1a5b2"
down_revision: str | None = "b6e2f4a8c0d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_name", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("message_name")
