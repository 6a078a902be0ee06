"""Settling sends whose outcome is not known: a claim whose lease ran out while `sending`
(the process died between the provider's answer and the commit), and a send the provider may
have taken before its answer was lost (`UnknownOutcome`).

Channels that can look a message up by reference (SMS) are asked before anything is sent
again; those that cannot (SMTP) are re-sent with the same Message-ID. See docs/messaging.md.
Part of `Dispatcher` (a mixin, so the dispatcher module stays about sending).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import OutboxMessage
from fit_platform.domain.codes import Channel, OutboxState
from fit_platform.messaging.channels import Channel as ChannelPort
from fit_platform.messaging.channels import (
    SendReceipt,
    TemporaryFailure,
    UnknownOutcome,
    loggable_reason,
)
from fit_platform.messaging.outbox_records import DispatcherSettings, DispatchResult, mark_sent

log = logging.getLogger("fit_platform.messaging.dispatcher")


class Reconciliation:
    """The reconciling half of the dispatcher; the attributes are the dispatcher's."""

    db: Database
    channels: Mapping[Channel, ChannelPort]
    settings: DispatcherSettings
    clock: Callable[[], dt.datetime]
    worker_id: str

    def _record_unknown_in(
        self, session: Session, outbox_id: int, error: UnknownOutcome, now: dt.datetime
    ) -> DispatchResult:
        """The provider may have taken the message. It stays `sending` with a short lease
        and its link token kept; when the lease runs out, reconciliation looks it up at the
        provider and re-sends only if the provider has no record of it."""
        row = session.get(OutboxMessage, outbox_id)
        if row is None or row.claimed_by != self.worker_id or row.state != OutboxState.SENDING:
            return DispatchResult(lost_claims=1)
        row.last_error = str(error)[:500]
        row.claimed_until = now + self.settings.backoff(row.attempts)
        log.info(
            "outbox message outcome unknown",
            extra={
                "outbox_id": outbox_id,
                "attempts": row.attempts,
                "reason": loggable_reason(row.last_error),
            },
        )
        return DispatchResult(unknown=1)

    # -- reconciliation ------------------------------------------------------------------------

    def reconcile(self) -> DispatchResult:
        """Settle rows whose lease ran out while `sending`."""
        now = self.clock()
        with self.db.transaction(now=now) as session:
            stale = select(OutboxMessage.id).where(
                OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_until < now
            )
            if self.db.dialect == "postgresql":
                stale = stale.with_for_update(skip_locked=True)
            ids = list(session.scalars(stale.limit(self.settings.batch_size)))
            if not ids:
                return DispatchResult()
            rows = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(ids),
                    OutboxMessage.state == OutboxState.SENDING,
                    OutboxMessage.claimed_until < now,
                )
                .values(claimed_by=self.worker_id, claimed_until=now + self.settings.lease)
                .returning(OutboxMessage.id, OutboxMessage.dedupe_key, OutboxMessage.channel)
            ).all()
        result = DispatchResult()
        for row in rows:
            result += self._reconcile_one(row.id, row.dedupe_key, row.channel)
        return result

    def _reconcile_one(
        self, outbox_id: int, reference: str, channel_name: Channel
    ) -> DispatchResult:
        now = self.clock()
        channel = self.channels.get(channel_name)
        receipt: SendReceipt | None = None
        if channel is not None and channel.can_lookup:
            try:
                receipt = channel.lookup(reference)
            except TemporaryFailure:
                log.info("outbox reconcile postponed", extra={"outbox_id": outbox_id})
                return DispatchResult()
        with self.db.transaction(now=now) as session:
            if receipt is not None:
                if mark_sent(
                    session,
                    outbox_id,
                    receipt,
                    now,
                    claimed_by=self.worker_id,
                    zone=self.settings.zone,
                ):
                    log.info("outbox message reconciled as sent", extra={"outbox_id": outbox_id})
                    return DispatchResult(reconciled=1)
                return DispatchResult(lost_claims=1)
            # Not known to the provider (or it cannot tell): queue again; e-mail goes out
            # with the same Message-ID, so a copy that did arrive is recognisable.
            row = session.get(OutboxMessage, outbox_id)
            if (
                row is not None
                and row.claimed_by == self.worker_id
                and row.state == OutboxState.SENDING
                and row.attempts >= self.settings.max_attempts
            ):
                row.state = OutboxState.FAILED
                row.claimed_by = None
                row.claimed_until = None
                log.warning(
                    "outbox message failed",
                    extra={
                        "outbox_id": outbox_id,
                        "attempts": row.attempts,
                        "reason": loggable_reason(row.last_error),
                    },
                )
                return DispatchResult(failed=1)
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == outbox_id,
                    OutboxMessage.claimed_by == self.worker_id,
                    OutboxMessage.state == OutboxState.SENDING,
                )
                .values(
                    state=OutboxState.QUEUED,
                    next_attempt_at=now,
                    claimed_by=None,
                    claimed_until=None,
                    last_error="requeued after an interrupted send",
                )
            )
        log.info("outbox message requeued", extra={"outbox_id": outbox_id})
        return DispatchResult(reconciled=1)
