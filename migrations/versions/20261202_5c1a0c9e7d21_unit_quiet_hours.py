"""Units get their own quiet hours, read by the scheduler and by the dispatcher at send time.

Revision ID: 5c1a0c9e7d21
Revises: 3475625fff72
Create Date: 2026-12-02 07:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c1a0c9e7d21'
down_revision: str | None = '3475625fff72'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('quiet_from', sa.String(length=5), server_default='21:00', nullable=False)
        )
        batch_op.add_column(
            sa.Column('quiet_until', sa.String(length=5), server_default='08:00', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('quiet_until')
        batch_op.drop_column('quiet_from')
