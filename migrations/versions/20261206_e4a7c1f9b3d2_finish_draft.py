"""What the patient typed on the check-your-answers page survives a "Change".

The page's two boxes (a topic for the next session, a comment) were lost when the patient
went back to change an answer: "Change" was a link. It is now a button of the page's form,
and what was typed waits in `finish_draft` (one row per response, deleted when the
questionnaire is sent, or by the daily clean-up once it has closed unsent) until the patient
is back on the page.

Revision ID: e4a7c1f9b3d2
Revises: d8f1c3a5e7b9
Create Date: 2026-12-06 01:00:00+00:00

The table is written out here (not imported from the application) so this revision stays as
released when the code moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a7c1f9b3d2"
down_revision: str | None = "d8f1c3a5e7b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finish_draft",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("comment_to", sa.String(16), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_finish_draft_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_finish_draft")),
    )


def downgrade() -> None:
    op.drop_table("finish_draft")
