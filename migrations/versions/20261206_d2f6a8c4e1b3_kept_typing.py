"""A staff member's typing survives the end of their session.

A form that reached the server after the staff session had ended (30 minutes idle, as when a
samvalg record is written with the patient through a whole session) was refused and its words
lost. They are now kept in `kept_typing` until the same staff member logs in and opens the
form again, and no longer than a day.

Revision ID: d2f6a8c4e1b3
Revises: c5d8e2a7f4b1
Create Date: 2026-12-06 10:00:00+00:00

The table is written out here (not imported from the application) so this revision stays as
released when the code moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d2f6a8c4e1b3"
down_revision: str | None = "c5d8e2a7f4b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kept_typing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(300), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_kept_typing_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_typing")),
    )
    op.create_index(op.f("ix_kept_typing_staff_id"), "kept_typing", ["staff_id"], unique=False)
    op.create_index(op.f("ix_kept_typing_kept_at"), "kept_typing", ["kept_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_kept_typing_kept_at"), table_name="kept_typing")
    op.drop_index(op.f("ix_kept_typing_staff_id"), table_name="kept_typing")
    op.drop_table("kept_typing")
