"""Groups in a day programme: the group, its therapists and members, its sessions and who
attended each (with the invitation to the group form the attendance gave).

Revision ID: b7d4e9a2c6f1
Revises: f3a7c1e9d5b2
Create Date: 2026-12-02 16:32:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "b7d4e9a2c6f1"
down_revision: str | None = "f3a7c1e9d5b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "therapy_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_therapy_group_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_therapy_group_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_therapy_group_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_therapy_group")),
        sa.UniqueConstraint("unit_id", "name", name=op.f("uq_therapy_group_unit_id_name")),
    )
    with op.batch_alter_table("therapy_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_therapy_group_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "group_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_group_member_episode_id_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["therapy_group.id"],
            name=op.f("fk_group_member_group_id_therapy_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_member")),
        sa.UniqueConstraint(
            "group_id", "episode_id", name=op.f("uq_group_member_group_id_episode_id")
        ),
    )
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_member_group_id"), ["group_id"], unique=False)

    op.create_table(
        "group_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["therapy_group.id"],
            name=op.f("fk_group_session_group_id_therapy_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_group_session_recorded_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_session")),
        sa.UniqueConstraint(
            "group_id", "starts_at", name=op.f("uq_group_session_group_id_starts_at")
        ),
    )
    with op.batch_alter_table("group_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_session_group_id"), ["group_id"], unique=False)

    op.create_table(
        "group_therapist",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["therapy_group.id"],
            name=op.f("fk_group_therapist_group_id_therapy_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_group_therapist_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("group_id", "staff_id", name=op.f("pk_group_therapist")),
    )
    with op.batch_alter_table("group_therapist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_therapist_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "group_attendance",
        sa.Column("group_session_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_group_attendance_episode_id_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_session_id"],
            ["group_session.id"],
            name=op.f("fk_group_attendance_group_session_id_group_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_group_attendance_invitation_id_invitation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("group_session_id", "episode_id", name=op.f("pk_group_attendance")),
    )
    with op.batch_alter_table("group_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_attendance_invitation_id"), ["invitation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("group_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_attendance_invitation_id"))

    op.drop_table("group_attendance")
    with op.batch_alter_table("group_therapist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_therapist_staff_id"))

    op.drop_table("group_therapist")
    with op.batch_alter_table("group_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_session_group_id"))

    op.drop_table("group_session")
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_member_group_id"))

    op.drop_table("group_member")
    with op.batch_alter_table("therapy_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_therapy_group_unit_id"))

    op.drop_table("therapy_group")
