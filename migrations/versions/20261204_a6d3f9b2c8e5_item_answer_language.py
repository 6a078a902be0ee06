"""The language each answer was given in.

A patient may switch language in the middle of a questionnaire; the response kept one
language, so half a PHQ-9 answered in nynorsk was recorded as English. Each answer now keeps
the language its question was shown in (docs/fhir.md, docs/patient-journey.md). Empty for the
answers saved before: those are in their response's language.

Revision ID: a6d3f9b2c8e5
Revises: b7e3a1d5f9c2
Create Date: 2026-12-04 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a6d3f9b2c8e5"
down_revision: str | None = "b7e3a1d5f9c2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item_answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=32), nullable=True))
        # The same named CHECK the models declare (`enum_column(Language, "language")`).
        batch_op.create_check_constraint("language", "language IN ('nb', 'nn', 'en')")


def downgrade() -> None:
    with op.batch_alter_table("item_answer", schema=None) as batch_op:
        # Dropped first: SQLite's table copy would keep a CHECK on a column that is gone.
        batch_op.drop_constraint(op.f("ck_item_answer_language"), type_="check")
        batch_op.drop_column("language")
