"""A questionnaire withdrawn because its appointment changed gives its slot back.

Its slot key named the appointment's old time, and (episode, instrument, slot key) is unique:
the withdrawn row held that time's slot for ever, so a session moved away and back (or
cancelled and planned again) never got a questionnaire. The application now marks such a
key with `~` and the invitation's id when it withdraws it (`services/cancel.py`); this
revision does the same to the rows withdrawn before (docs/messaging.md, "A moved appointment
is asked about once"). No schema change.

Revision ID: d8f1c3a5e7b9
Revises: b7e2d4a9c6f1
Create Date: 2026-12-05 23:50:00+00:00

The statements are written out here (not imported from the application) so this revision
stays as released when the code moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d8f1c3a5e7b9"
down_revision: str | None = "b7e2d4a9c6f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHDRAWN = (
    "state = 'cancelled' AND non_response_reason = 'appointment_changed'"
    " AND slot_key LIKE 'appt:%'"
)


def upgrade() -> None:
    op.execute(
        f"UPDATE invitation SET slot_key = slot_key || '~' || CAST(id AS VARCHAR(12))"
        f" WHERE {WITHDRAWN} AND slot_key NOT LIKE '%~%'"
    )


def downgrade() -> None:
    # Back to the plain key, except where a newer invitation has taken that slot since (the
    # old code cannot tell two rows of one slot apart, and the key is unique).
    connection = op.get_bind()
    marked = connection.execute(
        sa.text(
            "SELECT id, episode_id, instrument_id, slot_key FROM invitation"
            f" WHERE {WITHDRAWN} AND slot_key LIKE '%~%'"
        )
    ).all()
    for row in marked:
        plain = row.slot_key.rsplit("~", 1)[0]
        taken = connection.execute(
            sa.text(
                "SELECT 1 FROM invitation WHERE episode_id = :episode AND instrument_id ="
                " :instrument AND slot_key = :key"
            ),
            {"episode": row.episode_id, "instrument": row.instrument_id, "key": plain},
        ).first()
        if taken is None:
            connection.execute(
                sa.text("UPDATE invitation SET slot_key = :key WHERE id = :id"),
                {"key": plain, "id": row.id},
            )
