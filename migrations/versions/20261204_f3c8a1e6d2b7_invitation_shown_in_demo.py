"""Mark the invitation whose link the demo printed instead of sending a message.

`fit-platform demo` prints the first demo patient's PHQ-9 link on the console and records
that invitation as reached (`sent_at`), so it can be answered at any hour and the scheduler
sends no second one for its slot. Staff pages read `sent_at` as "Sent", and at night that
contradicted the quiet hours: no message had gone anywhere. The flag lets them say "Link shown
in the demo, no message sent" (docs/patient-journey.md). False for every invitation before.

Revision ID: f3c8a1e6d2b7
Revises: a6d3f9b2c8e5
Create Date: 2026-12-04 05:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3c8a1e6d2b7"
down_revision: str | None = "a6d3f9b2c8e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shown_in_demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("shown_in_demo")
