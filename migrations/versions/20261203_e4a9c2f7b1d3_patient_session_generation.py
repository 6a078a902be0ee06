"""The patient's browser sessions can be ended on the server.

A patient's cookie keeps the link it opened and, after a questionnaire or a code, 30 minutes
of access to their progress. Logging out only emptied that browser's cookie: a copy taken
before still worked. Each patient now has a session generation; the cookie keeps the number
it was opened under, logging out or finishing counts it up, and a cookie with an older
number is refused (docs/security.md).

Revision ID: e4a9c2f7b1d3
Revises: d8b2f6a4c1e7
Create Date: 2026-12-03 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a9c2f7b1d3"
down_revision: str | None = "d8b2f6a4c1e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
