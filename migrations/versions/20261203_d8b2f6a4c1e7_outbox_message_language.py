"""The language a message is written in, when it is not the patient's registered one.

A one-time code follows the language of the page where the patient asked for it (they had
just chosen it); every other message keeps the patient's registered language, so the column
is empty for them (docs/messaging.md).

Revision ID: d8b2f6a4c1e7
Revises: d2f8b4a6c1e9
Create Date: 2026-12-03 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d8b2f6a4c1e7"
down_revision: str | None = "d2f8b4a6c1e9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=32), nullable=True))
        # The same named CHECK the models declare (`enum_column(Language, "language")`).
        batch_op.create_check_constraint("language", "language IN ('nb', 'nn', 'en')")


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        # Dropped first: SQLite's table copy would keep a CHECK on a column that is gone.
        batch_op.drop_constraint(op.f("ck_outbox_message_language"), type_="check")
        batch_op.drop_column("language")
