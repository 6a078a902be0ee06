"""Outbox rows record which dispatcher claimed them (reconciliation after a crash).

Revision ID: 83f009f29818
Revises: 09dd9a98256e
Create Date: 2026-11-25 09:05:47.185525
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '83f009f29818'
down_revision: str | None = '09dd9a98256e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')

