"""A samvalg record can be corrected or withdrawn.

Once saved, a record could not be changed: a mistyped decision stood on the patient's
progress page and in the journal text, and a record written on the wrong patient could only
be removed by hand in the database. A correction now rewrites the record and keeps the words
it replaced in `shared_decision_earlier`; a withdrawal (written in error) keeps the record,
hides it from the patient and says who withdrew it, when and why.

Revision ID: c5d8e2a7f4b1
Revises: a9c3e5f7d1b4
Create Date: 2026-12-06 09:00:00+00:00

The columns are written out here (not imported from the application) so this revision stays
as released when the code moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5d8e2a7f4b1"
down_revision: str | None = "a9c3e5f7d1b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "shared_decision"
CORRECTED_BY = "fk_shared_decision_corrected_by_id_staff"
WITHDRAWN_BY = "fk_shared_decision_withdrawn_by_id_staff"


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("corrected_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(CORRECTED_BY, "staff", ["corrected_by_id"], ["id"])
        batch_op.create_foreign_key(WITHDRAWN_BY, "staff", ["withdrawn_by_id"], ["id"])
    op.create_table(
        "shared_decision_earlier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("options_discussed", sa.Text(), nullable=False),
        sa.Column("what_matters", sa.Text(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("visible_to_patient", sa.Boolean(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["shared_decision.id"],
            name=op.f("fk_shared_decision_earlier_decision_id_shared_decision"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["staff.id"],
            name=op.f("fk_shared_decision_earlier_written_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_decision_earlier")),
    )
    op.create_index(
        op.f("ix_shared_decision_earlier_decision_id"),
        "shared_decision_earlier",
        ["decision_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_shared_decision_earlier_decision_id"), table_name="shared_decision_earlier"
    )
    op.drop_table("shared_decision_earlier")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(WITHDRAWN_BY, type_="foreignkey")
        batch_op.drop_constraint(CORRECTED_BY, type_="foreignkey")
        for column in (
            "withdrawal_reason",
            "withdrawn_by_id",
            "withdrawn_at",
            "corrected_by_id",
            "corrected_at",
            "version",
        ):
            batch_op.drop_column(column)
