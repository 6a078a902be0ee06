"""Writing a tick's due invitations and their outbox messages.

On PostgreSQL one statement per chunk does both: the chunk's rows travel as one array per
column (`unnest`), the invitations are inserted with ON CONFLICT DO NOTHING, and the outbox
messages are inserted from what that insert returned, so only invitations this tick really
created get a message. One round trip, a statement text that does not grow with the chunk
(nothing for the driver to parse per row), and no rows sent back to Python. Elsewhere
(SQLite, the development default) two multi-row inserts do the same.

Both stamp the rows' `created_at` with the tick's `now`, not the real clock, so ageing
and ordering by it agree with the clock the scheduler runs at.

Idempotent either way: an invitation is unique per (episode, instrument, slot key) and a
message per dedupe key, so a second scheduler ticking at the same moment inserts nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from fit_platform.db.models import Invitation, OutboxMessage
from fit_platform.domain.codes import Channel, InvitationState, MessageKind, OutboxState
from fit_platform.domain.schedule_model import DueInvitation
from fit_platform.services.invitation_common import insert_ignoring_duplicates, message_key


@dataclass(frozen=True)
class Due:
    """One invitation the rules found due, with what its message needs (no rule for an
    invitation after a group session, `services/group_sessions.py`)."""

    invitation: DueInvitation
    rule_id: int | None
    patient_id: int
    channel: Channel


def insert_due(session: Session, due: Sequence[Due], now: dt.datetime) -> tuple[int, int]:
    """Insert the invitations and, for those that will be sent, their messages; returns
    how many of each were created (duplicates of existing rows are skipped)."""
    unique = _first_per_slot(due)
    if not unique:
        return 0, 0
    if session.get_bind().dialect.name == "postgresql":
        return _insert_due_postgresql(session, unique, now)
    return _insert_due_portable(session, unique, now)


def _first_per_slot(due: Sequence[Due]) -> list[Due]:
    # Two rules yielding the same slot in one chunk would meet in one INSERT; the first is
    # kept, as the database would keep it.
    seen: set[tuple[int, str, str]] = set()
    result = []
    for d in due:
        key = (d.invitation.episode_id, d.invitation.instrument_id, d.invitation.slot_key)
        if key not in seen:
            seen.add(key)
            result.append(d)
    return result


def _state(d: Due) -> InvitationState:
    return InvitationState.SCHEDULED if d.invitation.skipped is None else InvitationState.EXPIRED


_POSTGRESQL_INSERT = text(
    """
WITH due AS (
    SELECT * FROM unnest(
        CAST(:episode_id AS integer[]), CAST(:instrument_id AS text[]),
        CAST(:slot_key AS text[]), CAST(:appointment_id AS integer[]),
        CAST(:rule_id AS integer[]), CAST(:state AS text[]),
        CAST(:due_at AS timestamptz[]), CAST(:expires_at AS timestamptz[]),
        CAST(:reminder_at AS timestamptz[]), CAST(:reason AS text[]),
        CAST(:closed_at AS timestamptz[]), CAST(:patient_id AS integer[]),
        CAST(:channel AS text[])
    ) AS d(episode_id, instrument_id, slot_key, appointment_id, rule_id, state, due_at,
           expires_at, reminder_at, reason, closed_at, patient_id, channel)
), new AS (
    INSERT INTO invitation (episode_id, instrument_id, slot_key, appointment_id, rule_id,
                            state, due_at, expires_at, reminder_at, non_response_reason,
                            closed_at, created_at)
    SELECT episode_id, instrument_id, slot_key, appointment_id, rule_id, state, due_at,
           expires_at, reminder_at, reason, closed_at, :created_at
    FROM due
    ON CONFLICT DO NOTHING
    RETURNING id, episode_id, instrument_id, slot_key, state, due_at
), queued AS (
    INSERT INTO outbox_message (dedupe_key, patient_id, invitation_id, kind, sequence, channel,
                                state, attempts, next_attempt_at, created_at)
    SELECT new.id || :key_suffix, due.patient_id, new.id, :kind, 1, due.channel, :queued, 0,
           new.due_at, :created_at
    FROM new JOIN due USING (episode_id, instrument_id, slot_key)
    WHERE new.state = :scheduled
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM new) AS invitations, (SELECT count(*) FROM queued) AS messages
"""
)


def _insert_due_postgresql(session: Session, due: list[Due], now: dt.datetime) -> tuple[int, int]:
    invitations = [d.invitation for d in due]
    kind = MessageKind.INVITATION
    counts = session.execute(
        _POSTGRESQL_INSERT,
        {
            "episode_id": [i.episode_id for i in invitations],
            "instrument_id": [i.instrument_id for i in invitations],
            "slot_key": [i.slot_key for i in invitations],
            "appointment_id": [i.appointment_id for i in invitations],
            "rule_id": [d.rule_id for d in due],
            "state": [_state(d).value for d in due],
            "due_at": [i.send_at for i in invitations],
            "expires_at": [i.expires_at for i in invitations],
            "reminder_at": [i.reminder_at for i in invitations],
            "reason": [i.skipped for i in invitations],
            "closed_at": [None if i.skipped is None else now for i in invitations],
            "patient_id": [d.patient_id for d in due],
            "channel": [d.channel.value for d in due],
            "created_at": now,
            # message_key(id, kind) without the id: "<id>:invitation:1".
            "key_suffix": message_key(0, kind).removeprefix("0"),
            "kind": kind.value,
            "queued": OutboxState.QUEUED.value,
            "scheduled": InvitationState.SCHEDULED.value,
        },
    ).one()
    return int(counts.invitations), int(counts.messages)


def _insert_due_portable(session: Session, due: list[Due], now: dt.datetime) -> tuple[int, int]:
    by_key = {
        (d.invitation.episode_id, d.invitation.instrument_id, d.invitation.slot_key): d for d in due
    }
    stmt = insert_ignoring_duplicates(session, Invitation).returning(
        Invitation.id, Invitation.episode_id, Invitation.instrument_id, Invitation.slot_key
    )
    rows = [
        {
            "episode_id": d.invitation.episode_id,
            "instrument_id": d.invitation.instrument_id,
            "slot_key": d.invitation.slot_key,
            "appointment_id": d.invitation.appointment_id,
            "rule_id": d.rule_id,
            "state": _state(d),
            "due_at": d.invitation.send_at,
            "expires_at": d.invitation.expires_at,
            "reminder_at": d.invitation.reminder_at,
            "non_response_reason": d.invitation.skipped,
            "closed_at": None if d.invitation.skipped is None else now,
            "created_at": now,
        }
        for d in due
    ]
    inserted = [
        (r.id, by_key[(r.episode_id, r.instrument_id, r.slot_key)])
        for r in session.execute(stmt, rows).all()
    ]
    to_send = [(i, d) for i, d in inserted if d.invitation.skipped is None]
    if to_send:
        kind = MessageKind.INVITATION
        messages = [
            {
                "dedupe_key": message_key(invitation_id, kind),
                "patient_id": d.patient_id,
                "invitation_id": invitation_id,
                "kind": kind,
                "sequence": 1,
                "channel": d.channel,
                "state": OutboxState.QUEUED,
                "attempts": 0,
                "next_attempt_at": d.invitation.send_at,
                "created_at": now,
            }
            for invitation_id, d in to_send
        ]
        # The invitations are new in this transaction, so no message for them can exist yet.
        session.execute(insert_ignoring_duplicates(session, OutboxMessage), messages)
    return len(inserted), len(to_send)
