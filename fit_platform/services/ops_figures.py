"""Figures for the operator's dashboard (Prometheus gauges): counts and ages only.

Each figure is one cheap aggregate query over an indexed state column. No names, no
identifiers, no answers: nothing here can identify a patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select

from fit_platform.db import Database
from fit_platform.db.models import Invitation, OutboxMessage, Signal
from fit_platform.domain.codes import InvitationState, OutboxState
from fit_platform.services.message_failures import still_failed

SENT_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest_age_seconds: float


@dataclass(frozen=True)
class OpsFigures:
    outbox_queued: Backlog  # waiting to be sent (queued or being sent)
    outbox_failed: int  # gave up after the last retry, and not sent since (message_failures.py)
    # due now, still only scheduled and not queued yet: the scheduler has not picked it up
    invitations_due_unsent: Backlog
    invitations_sent_last_24h: int
    open_signals: dict[str, Backlog]  # by severity


def _age(now: dt.datetime, oldest: dt.datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=dt.UTC)
    return max(0.0, (now - oldest).total_seconds())


def collect(db: Database, now: dt.datetime) -> OpsFigures:
    with db.session(now=now) as session:
        queued_count, queued_oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.state.in_([OutboxState.QUEUED, OutboxState.SENDING])
            )
        ).one()
        # Not every failed row: one a later send of the same purpose made good is done with.
        failed = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(still_failed())
        )
        due_count, due_oldest = session.execute(
            select(func.count(), func.min(Invitation.due_at)).where(
                Invitation.state == InvitationState.SCHEDULED,
                Invitation.due_at <= now,
                # One with a message is the outbox's (queued or failed): a gateway outage
                # must not look like a scheduler that is not running.
                ~exists().where(OutboxMessage.invitation_id == Invitation.id),
            )
        ).one()
        sent = session.scalar(
            select(func.count()).where(
                Invitation.sent_at.is_not(None), Invitation.sent_at > now - SENT_WINDOW
            )
        )
        signal_rows = session.execute(
            select(Signal.severity, func.count(), func.min(Signal.raised_at))
            .where(Signal.resolved_at.is_(None))
            .group_by(Signal.severity)
        ).all()
    return OpsFigures(
        outbox_queued=Backlog(int(queued_count), _age(now, queued_oldest)),
        outbox_failed=int(failed or 0),
        invitations_due_unsent=Backlog(int(due_count), _age(now, due_oldest)),
        invitations_sent_last_24h=int(sent or 0),
        open_signals={
            str(severity): Backlog(int(count), _age(now, oldest))
            for severity, count, oldest in signal_rows
        },
    )
