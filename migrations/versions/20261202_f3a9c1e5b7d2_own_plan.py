"""The patient's own plan: crisis-plan versions and standing-choice events, both append-only,
and the patient's own days in a day programme (episode.own_weekdays).

Revision ID: f3a9c1e5b7d2
Revises: f3c7d9e1a5b2
Create Date: 2026-12-02 14:00:00+00:00

The triggers are written out here (not imported from the application) so this revision stays
as it was released when the code moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a9c1e5b7d2"
down_revision: str | None = "f3c7d9e1a5b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("crisis_plan_version", "standing_choice_event")


def _recorded_by() -> sa.Enum:
    return sa.Enum(
        "patient",
        "therapist_with_patient",
        name="recorded_by",
        native_enum=False,
        create_constraint=True,
        length=32,
    )


def upgrade() -> None:
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.add_column(sa.Column("own_weekdays", sa.String(length=20), nullable=True))
    op.create_table(
        "crisis_plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("warning_signs", sa.Text(), nullable=False),
        sa.Column("what_helps", sa.Text(), nullable=False),
        sa.Column("who_to_call", sa.Text(), nullable=False),
        sa.Column("staff_should", sa.Text(), nullable=False),
        sa.Column("staff_should_not", sa.Text(), nullable=False),
        sa.Column("recorded_by", _recorded_by(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_crisis_plan_version_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_crisis_plan_version_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_plan_version")),
    )
    with op.batch_alter_table("crisis_plan_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crisis_plan_version_patient_id"), ["patient_id"], unique=False
        )
    op.create_table(
        "standing_choice_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("choice_id", sa.Integer(), nullable=True),
        sa.Column(
            "event",
            sa.Enum(
                "recorded",
                "changed",
                "withdrawn",
                name="standing_choice_event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "ended_approach",
                "medication_free",
                "contact_person",
                "other",
                name="standing_choice_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", _recorded_by(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["choice_id"],
            ["standing_choice_event.id"],
            name=op.f("fk_standing_choice_event_choice_id_standing_choice_event"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_standing_choice_event_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_standing_choice_event_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_choice_event")),
    )
    with op.batch_alter_table("standing_choice_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_standing_choice_event_patient_id"), ["patient_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION fit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION fit_refuse_change()"
            )
        return
    for table in TABLES:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    with op.batch_alter_table("standing_choice_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standing_choice_event_patient_id"))
    op.drop_table("standing_choice_event")
    with op.batch_alter_table("crisis_plan_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crisis_plan_version_patient_id"))
    op.drop_table("crisis_plan_version")
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.drop_column("own_weekdays")
