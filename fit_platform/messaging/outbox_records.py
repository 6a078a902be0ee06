"""What the dispatcher's steps share: its settings, the counts a run returns, and recording a
send as done (only by the dispatcher that holds the claim)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from fit_platform.config import default_zone
from fit_platform.db.models import Invitation, OutboxMessage
from fit_platform.domain.codes import InvitationState, MessageKind, OutboxState
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.messaging.channels import SendReceipt
from fit_platform.services.reminders import retime_reminders


@dataclass(frozen=True)
class DispatcherSettings:
    batch_size: int = 50
    lease: dt.timedelta = dt.timedelta(minutes=2)
    max_attempts: int = 6
    backoff_first: dt.timedelta = dt.timedelta(seconds=30)  # FIT_SEND_RETRY_SECONDS
    backoff_max: dt.timedelta = dt.timedelta(hours=1)
    # Less than this left to answer: not sent (FIT_MIN_ANSWER_WINDOW_MINUTES).
    min_answer_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW
    # The service's zone; `dispatcher_from_settings` gives the configured one.
    zone: ZoneInfo = field(default_factory=default_zone)

    def backoff(self, attempts: int) -> dt.timedelta:
        """`backoff_first` (30 s), then twice as long each time, capped; attempts counts the
        one that just failed."""
        seconds = self.backoff_first.total_seconds() * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, self.backoff_max.total_seconds()))


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    reconciled: int = 0
    lost_claims: int = 0
    held: int = 0  # waiting for quiet hours to end
    skipped: int = 0  # too little time left to answer
    unknown: int = 0  # the provider may have it: looked up before any re-send

    def __iadd__(self, other: DispatchResult) -> DispatchResult:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def mark_sent(
    session: Session,
    outbox_id: int,
    receipt: SendReceipt,
    now: dt.datetime,
    *,
    claimed_by: str,
    zone: ZoneInfo,
) -> bool:
    won = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.claimed_by == claimed_by,
            OutboxMessage.state == OutboxState.SENDING,
        )
        .values(
            state=OutboxState.SENT,
            provider_ref=receipt.provider_id[:128],
            sent_at=now,
            claimed_until=None,
            last_error=None,
        )
        .returning(OutboxMessage.invitation_id, OutboxMessage.kind)
    ).first()
    if won is None:
        return False
    if won.invitation_id is not None and won.kind == MessageKind.INVITATION:
        reached = session.scalars(
            update(Invitation)
            .where(
                Invitation.id == won.invitation_id, Invitation.state == InvitationState.SCHEDULED
            )
            .values(state=InvitationState.SENT, sent_at=now)
            .returning(Invitation.id)
        ).all()
        retime_reminders(session, reached, now, zone=zone)
    return True


def mark_many_sent(
    session: Session,
    receipts: Mapping[int, SendReceipt],
    now: dt.datetime,
    *,
    claimed_by: str,
    zone: ZoneInfo,
) -> set[int]:
    """`mark_sent` for a whole batch in two statements (one per table) instead of two per
    message, and the reminders of the invitations sent timed from now; returns the ids this
    dispatcher still held the claim of (the others are left alone, as `mark_sent` leaves
    them)."""
    if not receipts:
        return set()
    provider_ref = case(
        {outbox_id: receipt.provider_id[:128] for outbox_id, receipt in receipts.items()},
        value=OutboxMessage.id,
    )
    won = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(receipts)),
            OutboxMessage.claimed_by == claimed_by,
            OutboxMessage.state == OutboxState.SENDING,
        )
        .values(
            state=OutboxState.SENT,
            provider_ref=provider_ref,
            sent_at=now,
            claimed_until=None,
            last_error=None,
        )
        .returning(OutboxMessage.id, OutboxMessage.invitation_id, OutboxMessage.kind)
        .execution_options(synchronize_session=False)
    ).all()
    invitation_ids = [
        row.invitation_id
        for row in won
        if row.invitation_id is not None and row.kind == MessageKind.INVITATION
    ]
    if invitation_ids:
        reached = session.scalars(
            update(Invitation)
            .where(Invitation.id.in_(invitation_ids), Invitation.state == InvitationState.SCHEDULED)
            .values(state=InvitationState.SENT, sent_at=now)
            .returning(Invitation.id)
            .execution_options(synchronize_session=False)
        ).all()
        retime_reminders(session, reached, now, zone=zone)
    return {row.id for row in won}
