"""The export's summary of closed history: invitations and scored responses per episode and
month up to a watermark (docs/export.md, "Summary of closed history").

Revision ID: c5e1a7f3b9d4
Revises: a4c8e2f6b1d3
Create Date: 2026-12-03 01:00:00+00:00

Empty after the upgrade: the export reads every row live until the scheduler's
`export_summary` job has built it (it runs when the scheduler starts, then every hour).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5e1a7f3b9d4"
down_revision: str | None = "a4c8e2f6b1d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "export_summary_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through", TIMESTAMP, nullable=False),
        sa.Column("invitation_id_max", sa.Integer(), nullable=False),
        sa.Column("response_id_max", sa.Integer(), nullable=False),
        sa.Column("built_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_summary_state")),
    )
    op.create_table(
        "export_invitation_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("month", TIMESTAMP, nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("non_response_reason", sa.String(length=500), nullable=True),
        sa.Column("invitations", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_export_invitation_month_episode_id_episode"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_invitation_month")),
    )
    op.create_index(
        "ix_export_invitation_month_month", "export_invitation_month", ["month", "episode_id"]
    )
    op.create_table(
        "export_response_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("month", TIMESTAMP, nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("total_sum", sa.Float(), nullable=False),
        sa.Column("first_at", TIMESTAMP, nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("first_total", sa.Float(), nullable=False),
        sa.Column("last_at", TIMESTAMP, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_export_response_month_episode_id_episode"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_response_month")),
    )
    op.create_index(
        "ix_export_response_month_instrument",
        "export_response_month",
        ["instrument_id", "episode_id", "month"],
    )
    op.create_index("ix_export_response_month_episode", "export_response_month", ["episode_id"])
    op.create_table(
        "export_response_span",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("first_at", TIMESTAMP, nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("first_total", sa.Float(), nullable=False),
        sa.Column("last_at", TIMESTAMP, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_export_response_span_episode_id_episode"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_response_span")),
    )
    op.create_index(
        "ix_export_response_span_instrument",
        "export_response_span",
        ["instrument_id", "episode_id"],
    )
    op.create_index("ix_export_response_span_episode", "export_response_span", ["episode_id"])


def downgrade() -> None:
    op.drop_index("ix_export_response_span_episode", table_name="export_response_span")
    op.drop_index("ix_export_response_span_instrument", table_name="export_response_span")
    op.drop_table("export_response_span")
    op.drop_index("ix_export_response_month_episode", table_name="export_response_month")
    op.drop_index("ix_export_response_month_instrument", table_name="export_response_month")
    op.drop_table("export_response_month")
    op.drop_index("ix_export_invitation_month_month", table_name="export_invitation_month")
    op.drop_table("export_invitation_month")
    op.drop_table("export_summary_state")
