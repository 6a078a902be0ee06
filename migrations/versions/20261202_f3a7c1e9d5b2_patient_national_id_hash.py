"""A keyed hash of the patient's national identity number, for ID-porten logins (optional).

Revision ID: f3a7c1e9d5b2
Revises: f3a9d1c7e5b2
Create Date: 2026-12-02 14:00:00+00:00

The number itself is never stored: only HMAC-SHA256 under FIT_PATIENT_ID_HASH_KEY (hex). Not
unique: a person registered in two units has two patient rows (docs/identity.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a7c1e9d5b2"
down_revision: str | None = "f3a9d1c7e5b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("national_id_hash", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_patient_national_id_hash"), ["national_id_hash"])


def downgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.drop_index(batch.f("ix_patient_national_id_hash"))
        batch.drop_column("national_id_hash")
