"""The clock at the moment of sending: quiet hours of the patient's unit and the time left
to answer hold every invitation and reminder, however it was queued (planned ahead, found
late, retried, caught up after downtime).

Called by the dispatcher inside its prepare transaction, after consent was checked and
before a link token is minted. A message that must wait goes back to the queue with its
next attempt at quiet-hours end and its attempt count untouched; one that can no longer
be answered in time is not sent, and an invitation keeps the reason for the therapist.
One-time codes are not held here: the patient asked for them a moment ago (see
docs/messaging.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fit_platform.db.models import Episode, Invitation, OutboxMessage, Unit
from fit_platform.domain.codes import InvitationState, MessageKind, OutboxState
from fit_platform.domain.consent import Consent
from fit_platform.domain.send_window import SendDecision, blame_pause, judge_send
from fit_platform.services.schedule_plans import quiet_hours_of

log = logging.getLogger(__name__)

HELD = "held until quiet hours end"


def decide(
    session: Session,
    invitation: Invitation,
    now: dt.datetime,
    min_window: dt.timedelta,
    tz: ZoneInfo,
    quiet: tuple[str, str] | None = None,
    consent: Consent | None = None,
) -> SendDecision:
    """Send now, wait, or skip, by the quiet hours of the invitation's unit (``quiet``, its
    from and until, when the caller has read them already). With the patient's ``consent``, a
    skip of an invitation that was due during a pause names the pause (`blame_pause`): a
    questionnaire reopened when a pause ends at midnight may have only the night left."""
    if quiet is None:
        quiet_from, quiet_until = session.execute(
            select(Unit.quiet_from, Unit.quiet_until)
            .join(Episode, Episode.unit_id == Unit.id)
            .where(Episode.id == invitation.episode_id)
        ).one()
    else:
        quiet_from, quiet_until = quiet
    hours = quiet_hours_of(quiet_from, quiet_until)
    decision = judge_send(now, invitation.expires_at, hours, min_window, tz=tz)
    if consent is None:
        return decision
    return blame_pause(
        decision,
        invitation.due_at,
        invitation.expires_at,
        hours,
        min_window,
        paused_when_due=consent.held_at(invitation.due_at, tz),
        tz=tz,
    )


def hold(row: OutboxMessage, until: dt.datetime) -> None:
    """Back to the queue until `until`. The claim counted an attempt; waiting is none."""
    row.state = OutboxState.QUEUED
    row.next_attempt_at = until
    row.attempts = max(row.attempts - 1, 0)
    row.claimed_by = None
    row.claimed_until = None
    row.last_error = HELD
    log.info("outbox message held for quiet hours", extra={"outbox_id": row.id})


def skip(
    session: Session,
    row: OutboxMessage,
    invitation: Invitation,
    decision: SendDecision,
    now: dt.datetime,
) -> None:
    """Not sent. An invitation that was never sent closes with the reason (the therapist
    sees it on the appointments page); a reminder is simply dropped."""
    assert decision.skip is not None
    row.state = OutboxState.CANCELLED
    row.claimed_by = None
    row.claimed_until = None
    row.last_error = decision.skip.value
    if row.kind == MessageKind.INVITATION:
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.state == InvitationState.SCHEDULED)
            .values(
                state=InvitationState.EXPIRED,
                non_response_reason=decision.skip.value,
                closed_at=now,
            )
        )
    log.info(
        "outbox message skipped",
        extra={"outbox_id": row.id, "invitation_id": invitation.id, "reason": decision.skip.value},
    )
