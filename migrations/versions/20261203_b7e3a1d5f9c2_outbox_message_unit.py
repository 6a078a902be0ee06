"""The unit a one-time code message is sent for.

A patient can have episodes in two units, each with its own sender name. The code message
took the name of the unit of the patient's latest episode, not of the episode whose link the
patient used to ask for the code, so the page and the message could name a clinic the patient
did not expect. The unit of that link is now kept with the message (empty for every other
message, whose unit comes from its invitation; docs/messaging.md).

Revision ID: b7e3a1d5f9c2
Revises: e4a9c2f7b1d3
Create Date: 2026-12-03 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e3a1d5f9c2"
down_revision: str | None = "e4a9c2f7b1d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_unit_id_unit"),
            "unit",
            ["unit_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_message_unit_id_unit"), type_="foreignkey")
        batch_op.drop_column("unit_id")
