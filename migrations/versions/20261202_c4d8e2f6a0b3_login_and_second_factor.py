"""Login throttling instead of a lockout; TOTP secrets encrypted at rest; recovery codes.

Revision ID: c4d8e2f6a0b3
Revises: 5c1a0c9e7d21
Create Date: 2026-12-02 09:00:00

`staff.locked_until` (the 15-minute lockout) gives way to `staff.last_failed_login_at`, which
with `failed_logins` sets a growing delay; `login_failure_by_address` counts failures per
client address (hashed).

`staff.totp_secret` holds a Fernet token (sealed with FIT_TOTP_ENCRYPTION_KEY) instead of the
base32 secret, so the column widens and existing secrets are sealed here. The key comes from
FIT_TOTP_ENCRYPTION_KEY, or for a demo install from `instance/totp_key` (created if missing,
as the application itself does); without a key, secrets in clear stop the upgrade.

`staff_recovery_code` keeps the SHA-256 of each single-use recovery code.

`patient.external_id` is unique within a unit (checked at registration), no longer across
all units: the unique constraint becomes a plain index.
"""

import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from alembic import op

revision: str = "c4d8e2f6a0b3"
down_revision: str | None = "5c1a0c9e7d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Every Fernet token starts with its version byte 0x80, "gAAAAA" in base64; base32 secrets
# (A-Z, 2-7) never do.
SEALED_PREFIX = "gAAAAA"


def _box() -> MultiFernet:
    keys = os.environ.get("FIT_TOTP_ENCRYPTION_KEY", "")
    if not keys:
        if os.environ.get("FIT_ENV", "production") == "production":
            raise RuntimeError("FIT_TOTP_ENCRYPTION_KEY is required to seal the TOTP secrets")
        key_file = Path(os.environ.get("FIT_INSTANCE_PATH") or "instance").resolve() / "totp_key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(Fernet.generate_key().decode())
            key_file.chmod(0o600)
        keys = key_file.read_text().strip()
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def _rewrite_secrets(change) -> None:  # type: ignore[no-untyped-def]
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, totp_secret FROM staff WHERE totp_secret IS NOT NULL")
    ).all()
    for staff_id, secret in rows:
        new = change(secret)
        if new != secret:
            connection.execute(
                sa.text("UPDATE staff SET totp_secret = :secret WHERE id = :id"),
                {"secret": new, "id": staff_id},
            )


def upgrade() -> None:
    op.create_table(
        "login_failure_by_address",
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name=op.f("pk_login_failure_by_address")),
    )
    op.create_table(
        "staff_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_staff_recovery_code_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_staff_recovery_code_code_hash")),
    )
    with op.batch_alter_table("staff_recovery_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_recovery_code_staff_id"), ["staff_id"], unique=False
        )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_failed_login_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("locked_until")
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255)
        )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_patient_external_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_patient_external_id"), ["external_id"], unique=False)
    # Nobody stays locked: counts start again under the new rule.
    op.execute("UPDATE staff SET failed_logins = 0")
    if op.get_bind().execute(sa.text("SELECT 1 FROM staff WHERE totp_secret IS NOT NULL")).first():
        box = _box()
        _rewrite_secrets(
            lambda secret: secret
            if secret.startswith(SEALED_PREFIX)
            else box.encrypt(secret.encode()).decode()
        )


def downgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT 1 FROM staff WHERE totp_secret IS NOT NULL")).first():
        box = _box()
        _rewrite_secrets(
            lambda secret: box.decrypt(secret.encode()).decode()
            if secret.startswith(SEALED_PREFIX)
            else secret
        )
    # Fails if a record id was since registered in two units: those must be merged first.
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_external_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_patient_external_id"), ["external_id"])
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
        batch_op.drop_column("last_failed_login_at")
    with op.batch_alter_table("staff_recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_recovery_code_staff_id"))
    op.drop_table("staff_recovery_code")
    op.drop_table("login_failure_by_address")
