"""Reminders and the end of answer windows: queue the one reminder of a sent, unanswered
invitation; expire windows with the reason; cancel queued messages of closed invitations."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import String, cast, exists, func, literal, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Invitation,
    OutboxMessage,
    Patient,
)
from fit_platform.domain.codes import (
    InvitationState,
    MessageKind,
    OutboxState,
)
from fit_platform.services.invitation_common import (
    OPEN_STATES,
    NonResponse,
    insert_ignoring_duplicates,
    rowcount,
)

log = logging.getLogger("fit_platform.services.invitations")


def queue_reminders(db: Database, now: dt.datetime) -> int:
    """Queue the one reminder of every sent, unanswered invitation whose reminder time has
    come, by the channel the invitation went by (set-based; the dedupe key makes it once
    only). Returns how many were queued."""
    sent = OutboxMessage.__table__.alias("sent_invitation")
    invitation_channel = (
        select(sent.c.channel)
        .where(sent.c.invitation_id == Invitation.id, sent.c.kind == MessageKind.INVITATION.value)
        .limit(1)
        .scalar_subquery()
    )
    source = (
        select(
            cast(Invitation.id, String(20)).concat(f":{MessageKind.REMINDER.value}:1"),
            Episode.patient_id,
            Invitation.id,
            literal(MessageKind.REMINDER.value),
            literal(1),
            func.coalesce(invitation_channel, Patient.preferred_channel),
            literal(OutboxState.QUEUED.value),
            literal(0),
            Invitation.reminder_at,
        )
        .join(Episode, Episode.id == Invitation.episode_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(
            Invitation.state.in_((InvitationState.SENT, InvitationState.OPENED)),
            Invitation.reminder_at <= now,
            Invitation.expires_at > now,
        )
    )
    columns = [
        "dedupe_key",
        "patient_id",
        "invitation_id",
        "kind",
        "sequence",
        "channel",
        "state",
        "attempts",
        "next_attempt_at",
    ]
    with db.transaction(now=now) as session:
        stmt = (
            insert_ignoring_duplicates(session, OutboxMessage)
            .from_select(columns, source)
            .returning(OutboxMessage.id)
        )
        count = len(session.execute(stmt).all())
    log.info("reminders queued", extra={"messages": count})
    return count


def expire_windows(db: Database, now: dt.datetime) -> int:
    """Close unanswered invitations whose window has ended, with the reason, and cancel
    their queued messages. Returns how many expired."""
    with db.transaction(now=now) as session:
        failed = exists().where(
            OutboxMessage.invitation_id == Invitation.id, OutboxMessage.state == OutboxState.FAILED
        )
        reason_rules = [
            (InvitationState.OPENED, NonResponse.NOT_COMPLETED, None),
            (InvitationState.SENT, NonResponse.NOT_OPENED, None),
            (InvitationState.SCHEDULED, NonResponse.NOT_DELIVERED, failed),
            (InvitationState.SCHEDULED, NonResponse.NOT_SENT, ~failed),
        ]
        expired = 0
        for state, reason, extra in reason_rules:
            stmt = (
                update(Invitation)
                .where(Invitation.state == state, Invitation.expires_at <= now)
                .values(
                    state=InvitationState.EXPIRED,
                    non_response_reason=reason,
                    closed_at=now,
                )
            )
            if extra is not None:
                stmt = stmt.where(extra)
            expired += rowcount(session.execute(stmt))
        _cancel_queued_messages_of_closed(session, now)
    log.info("invitations expired", extra={"invitations": expired})
    return int(expired)


def _cancel_queued_messages_of_closed(session: Session, now: dt.datetime) -> int:
    closed = select(Invitation.id).where(Invitation.state.not_in(OPEN_STATES))
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.QUEUED, OutboxMessage.invitation_id.in_(closed))
        .values(state=OutboxState.CANCELLED, last_error="invitation closed")
    )
    return rowcount(result)


def clean_up(db: Database, now: dt.datetime) -> int:
    """Cancel queued messages whose invitation has closed (answered, expired, cancelled)."""
    with db.transaction(now=now) as session:
        return _cancel_queued_messages_of_closed(session, now)
