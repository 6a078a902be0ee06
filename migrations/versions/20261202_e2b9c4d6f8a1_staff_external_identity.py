"""Staff identities at an outside OpenID Connect provider (staff_external_identity).

Revision ID: e2b9c4d6f8a1
Revises: d7a3e1b5c9f2
Create Date: 2026-12-02 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "e2b9c4d6f8a1"
down_revision: str | None = "d7a3e1b5c9f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_external_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_staff_external_identity_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_external_identity")),
        sa.UniqueConstraint(
            "issuer", "subject", name=op.f("uq_staff_external_identity_issuer_subject")
        ),
    )
    with op.batch_alter_table("staff_external_identity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_external_identity_staff_id"), ["staff_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_external_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_external_identity_staff_id"))
    op.drop_table("staff_external_identity")
