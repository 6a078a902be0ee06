"""Units and programmes can be archived by an administrator (history kept, nothing new sent).

Revision ID: 3b9e6f1a2c4d
Revises: 528b23a9c4eb
Create Date: 2026-12-02 10:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3b9e6f1a2c4d'
down_revision: str | None = '528b23a9c4eb'  # chained after main's head at merge
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
