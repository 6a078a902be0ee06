"""Reminders and the end of answer windows: time the one reminder of an invitation from
when it really left; queue it for a sent, unanswered invitation; expire windows with the
reason; cancel queued messages of closed invitations."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, exists, func, literal, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Invitation,
    OutboxMessage,
    Patient,
    ScheduleRule,
    Unit,
)
from fit_platform.domain.codes import (
    InvitationState,
    MessageKind,
    OutboxState,
)
from fit_platform.domain.invitation_times import reminder_after_send
from fit_platform.services.invitation_common import (
    OPEN_STATES,
    NonResponse,
    insert_ignoring_duplicates,
    rowcount,
)
from fit_platform.services.schedule_plans import quiet_hours_of
from fit_platform.services.unattended import someone_sees_answers

log = logging.getLogger("fit_platform.services.invitations")


def retime_reminders(
    session: Session, invitation_ids: Collection[int], sent_at: dt.datetime, *, zone: ZoneInfo
) -> int:
    """Time the reminders of invitations that have just left at `sent_at` from that moment
    (the rule's delay, out of the unit's quiet hours), or drop them when they would come
    after the window closes. Planned reminders were counted from the planned send, which
    an invitation found late or held back left long after. Returns how many changed."""
    if not invitation_ids:
        return 0
    rows = session.execute(
        select(
            Invitation.id,
            Invitation.reminder_at,
            Invitation.expires_at,
            ScheduleRule.reminder_after_hours,
            Unit.quiet_from,
            Unit.quiet_until,
        )
        .join(ScheduleRule, ScheduleRule.id == Invitation.rule_id)
        .join(Episode, Episode.id == Invitation.episode_id)
        .join(Unit, Unit.id == Episode.unit_id)
        .where(
            Invitation.id.in_(list(invitation_ids)),
            Invitation.reminder_at.is_not(None),
            ScheduleRule.reminder_after_hours.is_not(None),
        )
    ).all()
    changes = []
    for row in rows:
        at = reminder_after_send(
            sent_at,
            row.reminder_after_hours,
            row.expires_at,
            quiet_hours_of(row.quiet_from, row.quiet_until),
            tz=zone,
        )
        if at != row.reminder_at:
            changes.append({"id": row.id, "reminder_at": at})
    if changes:
        session.execute(update(Invitation).execution_options(synchronize_session=False), changes)
    return len(changes)


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
            # Once per reminder round: a questionnaire carried ahead of a moved session after
            # its first reminder went gets one more (domain/moved_appointments.py).
            cast(Invitation.id, String(20))
            .concat(f":{MessageKind.REMINDER.value}:")
            .concat(cast(Invitation.reminder_round, String(10))),
            Episode.patient_id,
            Invitation.id,
            literal(MessageKind.REMINDER.value),
            Invitation.reminder_round,
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
            # Nobody would see the answers (no active therapist, no unit lead): no nudge. The
            # reminder goes once someone does, if the window is still open.
            someone_sees_answers(Episode.id),
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
