"""Every comment a patient writes for the therapist is kept: one row per comment.

Until now a response had one ``comment`` column, and a second comment on the thank-you page
replaced the first. Existing comments move to ``response_comment`` (dated by the response's
submission) and the old column is emptied; it stays in the table, because dropping a column of
``response`` on SQLite rebuilds the table, and that rebuild would cascade-delete item answers.
The downgrade puts each response's newest comment back in the column.

Revision ID: 15e562fc1e56
Revises: 83f009f29818
Create Date: 2026-12-02 07:06:59.747118+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "15e562fc1e56"
down_revision: str | None = "83f009f29818"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "response_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "finish",
                "result",
                name="comment_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_response_comment_episode_id_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_response_comment_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_comment")),
    )
    with op.batch_alter_table("response_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_comment_episode_id"), ["episode_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_response_comment_response_id"), ["response_id"], unique=False
        )
    op.execute(
        "INSERT INTO response_comment (response_id, episode_id, source, text, created_at) "
        "SELECT id, episode_id, 'finish', comment, COALESCE(submitted_at, started_at) "
        "FROM response WHERE comment IS NOT NULL AND comment <> '' "
        "AND comment_visibility = 'therapist'"
    )
    op.execute("UPDATE response SET comment = NULL WHERE comment_visibility = 'therapist'")


def downgrade() -> None:
    op.execute(
        "UPDATE response SET comment = ("
        "SELECT c.text FROM response_comment c WHERE c.response_id = response.id "
        "ORDER BY c.created_at DESC, c.id DESC LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM response_comment c WHERE c.response_id = response.id)"
    )
    with op.batch_alter_table("response_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_comment_response_id"))
        batch_op.drop_index(batch_op.f("ix_response_comment_episode_id"))
    op.drop_table("response_comment")
