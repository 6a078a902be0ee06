"""Instruments enabled per unit (unit_instrument); every existing unit gets every instrument
that could be scheduled when this revision was written, so nothing in use stops.

Revision ID: b6e2f4a8c0d1
Revises: 3b9e6f1a2c4d
Create Date: 2026-12-02 11:00:00+00:00

The list of instruments is written out here, not read from the library, so this revision
stays as it was released when the library changes. The SAI (draft) and the VAS demo (a test
instrument, draft) are left out: neither may be scheduled.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b6e2f4a8c0d1"
down_revision: str | None = "3b9e6f1a2c4d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULABLE_AT_THIS_REVISION = ("core10", "gad7", "phq9", "wai_sr")


def upgrade() -> None:
    table = op.create_table(
        "unit_instrument",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_unit_instrument_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unit_id", "instrument_id", name=op.f("pk_unit_instrument")),
    )
    now = dt.datetime.now(dt.UTC)
    unit_ids = [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM unit"))]
    rows = [
        {"unit_id": unit_id, "instrument_id": instrument_id, "enabled_at": now}
        for unit_id in unit_ids
        for instrument_id in SCHEDULABLE_AT_THIS_REVISION
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("unit_instrument")
