"""Login throttling instead of a lockout.

Revision ID: c4d8e2f6a0b3
Revises: a1f3c5e7d9b2
Create Date: 2026-12-02 09:00:00

`staff.locked_until` (the 15-minute lockout) gives way to `staff.last_failed_login_at`, which
with `failed_logins` sets a growing delay; `login_failure_by_address` counts failures per
client address (hashed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4d8e2f6a0b3"
down_revision: str | None = "a1f3c5e7d9b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure_by_address",
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name=op.f("pk_login_failure_by_address")),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_failed_login_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("locked_until")
    # Nobody stays locked: counts start again under the new rule.
    op.execute("UPDATE staff SET failed_logins = 0")


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("last_failed_login_at")
    op.drop_table("login_failure_by_address")
