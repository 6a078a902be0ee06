"""Recording a sent batch: the dispatcher's third transaction (see ``dispatcher.py``).

Each provider id is stored only where this dispatcher still holds the claim; a failed send
revokes the link it carried and is retried with back-off or given up; an unknown outcome is
left to reconciliation, which looks the message up before any re-send.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    InvitationToken,
    OutboxMessage,
)
from fit_platform.domain.codes import (
    Channel,
    OutboxState,
)
from fit_platform.messaging.channels import (
    Channel as ChannelPort,
)
from fit_platform.messaging.channels import (
    DeliveryError,
    OutgoingMessage,
    PermanentFailure,
    SendReceipt,
    UnknownOutcome,
    loggable_reason,
)
from fit_platform.messaging.outbox_records import (
    DispatcherSettings,
    DispatchResult,
    mark_many_sent,
)
from fit_platform.messaging.reconcile import Reconciliation
from fit_platform.messaging.texts import (
    MessageText,
)

log = logging.getLogger("fit_platform.messaging.dispatcher")


@dataclass(frozen=True)
class PreparedMessage:
    channel: ChannelPort
    message: OutgoingMessage
    token_hash: str | None


class Recording(Reconciliation):
    """The dispatcher's recording of sent batches (a part of ``Dispatcher``)."""

    db: Database
    channels: Mapping[Channel, ChannelPort]
    settings: DispatcherSettings
    clock: Callable[[], dt.datetime]
    worker_id: str

    def _record(
        self, outcomes: list[tuple[int, PreparedMessage, SendReceipt | DeliveryError]]
    ) -> DispatchResult:
        """Record a sent batch in one transaction: each row only if this dispatcher still
        holds its claim."""
        now = self.clock()
        result = DispatchResult()
        receipts = {
            outbox_id: outcome
            for outbox_id, _, outcome in outcomes
            if isinstance(outcome, SendReceipt)
        }
        with self.db.transaction(now=now) as session:
            won = mark_many_sent(
                session, receipts, now, claimed_by=self.worker_id, zone=self.settings.zone
            )
            for outbox_id, prepared, outcome in outcomes:
                if isinstance(outcome, SendReceipt):
                    if outbox_id not in won:
                        log.warning(
                            "outbox claim lost before recording", extra={"outbox_id": outbox_id}
                        )
                        result += DispatchResult(lost_claims=1)
                elif isinstance(outcome, UnknownOutcome):
                    result += self._record_unknown_in(session, outbox_id, outcome, now)
                else:
                    result += self._record_failure_in(
                        session,
                        outbox_id,
                        prepared.token_hash,
                        outcome,
                        now,
                        permanent=isinstance(outcome, PermanentFailure),
                    )
        sent = sorted(won)
        for outbox_id in sent:
            log.info("outbox message sent", extra={"outbox_id": outbox_id})
        result += DispatchResult(sent=len(sent))
        return result

    def _record_failure_in(
        self,
        session: Session,
        outbox_id: int,
        token_hash: str | None,
        error: DeliveryError,
        now: dt.datetime,
        *,
        permanent: bool,
    ) -> DispatchResult:
        row = session.get(OutboxMessage, outbox_id)
        if row is None or row.claimed_by != self.worker_id or row.state != OutboxState.SENDING:
            return DispatchResult(lost_claims=1)
        # The message did not go out, so its link must not work.
        if token_hash is not None:
            session.execute(
                update(InvitationToken)
                .where(InvitationToken.token_hash == token_hash)
                .values(revoked_at=now)
            )
        row.last_error = str(error)[:500]
        row.claimed_by = None
        row.claimed_until = None
        if permanent or row.attempts >= self.settings.max_attempts:
            row.state = OutboxState.FAILED
            log.warning(
                "outbox message failed",
                extra={
                    "outbox_id": outbox_id,
                    "attempts": row.attempts,
                    "reason": loggable_reason(row.last_error),
                },
            )
            return DispatchResult(failed=1)
        row.state = OutboxState.QUEUED
        row.next_attempt_at = now + self.settings.backoff(row.attempts)
        log.info(
            "outbox message retry",
            extra={
                "outbox_id": outbox_id,
                "attempts": row.attempts,
                "reason": loggable_reason(row.last_error),
            },
        )
        return DispatchResult(retried=1)


def outgoing_message(row: OutboxMessage, address: str, text: MessageText) -> OutgoingMessage:
    if row.channel == Channel.SMS:
        return OutgoingMessage(row.dedupe_key, address, text.sms)
    return OutgoingMessage(row.dedupe_key, address, text.body, text.subject, text.sender)
