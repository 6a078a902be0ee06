"""Units and programmes can be archived by an administrator (history kept, nothing new sent).

Revision ID: 3b9e6f1a2c4d
Revises: d7a3e1b5c9f2
Create Date: 2026-12-02 10:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3b9e6f1a2c4d'
down_revision: str | None = 'd7a3e1b5c9f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
