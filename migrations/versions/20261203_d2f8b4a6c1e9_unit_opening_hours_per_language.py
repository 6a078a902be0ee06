"""A unit's opening hours per language: nynorsk and English beside the bokmål text.

The existing `unit.opening_hours` is the bokmål text (every unit wrote it in Norwegian, and
patients on every language's pages saw it); it stays where it is, so nothing is copied.
Downgrade drops the nynorsk and English texts and keeps the bokmål one.

Revision ID: d2f8b4a6c1e9
Revises: c5e1a7f3b9d4
Create Date: 2026-12-03 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d2f8b4a6c1e9"
down_revision: str | None = "c5e1a7f3b9d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opening_hours_nn", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("opening_hours_en", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("opening_hours_en")
        batch_op.drop_column("opening_hours_nn")
