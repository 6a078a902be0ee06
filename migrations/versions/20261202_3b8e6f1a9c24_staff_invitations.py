"""Staff invitations: single-use set-password links (staff_invite) sent through the outbox.

Revision ID: 3b8e6f1a9c24
Revises: e2b9c4d6f8a1
Create Date: 2026-12-02 11:00:00+00:00

An outbox message may now go to a staff member instead of a patient: `patient_id` becomes
nullable, `staff_invite_id` is added, and the message kind `staff_invite` is allowed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b8e6f1a9c24"
down_revision: str | None = "e2b9c4d6f8a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "'invitation', 'reminder', 'one_time_code', 'consent_confirmation'"
NEW_KINDS = OLD_KINDS + ", 'staff_invite'"


def upgrade() -> None:
    op.create_table(
        "staff_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff.id"],
            name=op.f("fk_staff_invite_created_by_staff"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_invite_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invite")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invite_token_hash")),
    )
    with op.batch_alter_table("staff_invite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_invite_staff_id"), ["staff_id"], unique=False)

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_invite_id", sa.Integer(), nullable=True))
        batch_op.alter_column("patient_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_outbox_message_staff_invite_id"), ["staff_invite_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_staff_invite_id_staff_invite"),
            "staff_invite",
            ["staff_invite_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(op.f("ck_outbox_message_message_kind"), type_="check")
        batch_op.create_check_constraint("message_kind", f"kind IN ({NEW_KINDS})")


def downgrade() -> None:
    # Messages to staff cannot exist in the old schema.
    op.execute("DELETE FROM outbox_message WHERE kind = 'staff_invite' OR patient_id IS NULL")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_message_message_kind"), type_="check")
        batch_op.create_check_constraint("message_kind", f"kind IN ({OLD_KINDS})")
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_staff_invite_id_staff_invite"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_message_staff_invite_id"))
        batch_op.alter_column("patient_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("staff_invite_id")
    with op.batch_alter_table("staff_invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_invite_staff_id"))
    op.drop_table("staff_invite")
