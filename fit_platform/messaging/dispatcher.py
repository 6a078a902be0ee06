"""The outbox dispatcher: claim, check, send, record; retry, give up, reconcile.

A batch of messages goes through three short transactions, whatever its size:

1. claim: queued rows whose time has come become `sending` with a lease and this
   dispatcher's id (`FOR UPDATE SKIP LOCKED` on PostgreSQL so dispatchers run side by
   side; on SQLite one atomic `UPDATE … WHERE state = 'queued' … RETURNING`, which SQLite
   serialises).
2. prepare: consent and the invitation of every message are checked again (read for the
   whole batch at once), the link tokens are minted and their hashes committed *before*
   any send, so a link that went out always works.
3. record, after the batch was sent: each provider id is stored, only where this
   dispatcher still holds the claim.

A crash between a send and the record leaves the batch's rows `sending`; reconciliation
settles them after the lease (below), so a bigger batch never means a duplicate.

A row left in `sending` after its lease ran out (a crash between send and record) is
reconciled, not blindly re-sent (`reconcile.py`): channels that can look a message up by
reference (SMS) are asked; those that cannot (SMTP) are re-sent with the same Message-ID. A
send whose outcome is unknown (the provider may have taken it, then the answer timed out)
is left to the same reconciliation: looked up before any re-send. Quiet hours and the time
left to answer are checked at prepare time (`send_window.py`). See docs/messaging.md.

Logs carry ids only: never the text, the address or the token.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from fit_platform.db import Database
from fit_platform.db.base import utcnow
from fit_platform.db.models import (
    Appointment,
    Episode,
    GroupAttendance,
    GroupSession,
    Invitation,
    OutboxMessage,
    Patient,
)
from fit_platform.domain.codes import (
    AppointmentStatus,
    Channel,
    InvitationState,
    MessageKind,
    OutboxState,
)
from fit_platform.domain.consent import Consent, may_send
from fit_platform.domain.groups import GROUP_SLOT_PREFIX
from fit_platform.domain.schedule_model import slot_fits_start
from fit_platform.messaging import send_window
from fit_platform.messaging.channels import (
    Channel as ChannelPort,
)
from fit_platform.messaging.channels import (
    DeliveryError,
    SendReceipt,
)
from fit_platform.messaging.dispatch_record import PreparedMessage, Recording, outgoing_message
from fit_platform.messaging.dispatch_requested import RequestedMessages
from fit_platform.messaging.outbox_records import (
    DispatcherSettings,
    DispatchResult,
)
from fit_platform.messaging.texts import (
    DEFAULT_TRANSLATIONS_DIR,
    message_text,
    sender_name,
)
from fit_platform.messaging.texts import MessageKind as TextKind
from fit_platform.services.consent import may_contact
from fit_platform.services.invitations import NonResponse, cancel_invitations, consent_by_patient
from fit_platform.services.links import hash_token, link_path, mint_token
from fit_platform.services.staff_invites import invite_path

log = logging.getLogger(__name__)

SENDABLE_KINDS = (
    MessageKind.INVITATION,
    MessageKind.REMINDER,
    MessageKind.ONE_TIME_CODE,
    MessageKind.STAFF_INVITE,
)


# The settings and the counts live in outbox_records; importing them from here still works.
__all__ = ["DispatchResult", "Dispatcher", "DispatcherSettings", "default_link"]


def default_link(base_url: str) -> Callable[[str], str]:
    base = base_url.rstrip("/")
    return lambda token: f"{base}{link_path(token)}"


def staff_invite_link(base_url: str) -> Callable[[str], str]:
    base = base_url.rstrip("/")
    return lambda token: f"{base}{invite_path(token)}"


@dataclass
class Dispatcher(RequestedMessages, Recording):
    """Sends queued outbox messages. Run any number side by side against one database.

    `channels` maps the stored channel ("sms", "email") to an adapter; `link_for` turns a
    fresh token into the patient's URL; `clock` is injectable for tests.
    """

    db: Database
    channels: Mapping[Channel, ChannelPort]
    link_for: Callable[[str], str]
    settings: DispatcherSettings = field(default_factory=DispatcherSettings)
    clock: Callable[[], dt.datetime] = utcnow
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    translations_dir: Path = DEFAULT_TRANSLATIONS_DIR
    # Turns a fresh set-password token into the new staff member's URL; without it an
    # invitation to staff fails visibly ("no staff link").
    staff_link_for: Callable[[str], str] | None = None
    # Test hook: called after the provider took a message, before it is recorded.
    after_send: Callable[[int], None] | None = None

    def close(self) -> None:
        """Close channels that hold connections (the SMS client's pool)."""
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()

    # -- the loop ---------------------------------------------------------------------

    def run_once(self) -> DispatchResult:
        """Reconcile expired claims, then claim and send one batch."""
        result = self.reconcile()
        claimed = self.claim()
        if claimed:
            result += self._deliver(*claimed)
        return result

    def drain(self, max_rounds: int = 1000) -> DispatchResult:
        """Run batches until nothing is due now (for tests, benchmarks and the CLI)."""
        total = DispatchResult()
        for _ in range(max_rounds):
            result = self.run_once()
            total += result
            if not (
                result.sent
                or result.retried
                or result.failed
                or result.cancelled
                or result.reconciled
                or result.held
                or result.skipped
                or result.unknown
            ):
                break
        return total

    # -- claim -----------------------------------------------------------------------------

    def claim(self) -> list[int]:
        now = self.clock()
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == OutboxState.QUEUED,
                OutboxMessage.next_attempt_at <= now,
                OutboxMessage.kind.in_(SENDABLE_KINDS),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(self.settings.batch_size)
        )
        with self.db.transaction(now=now) as session:
            if self.db.dialect == "postgresql":
                ids = list(session.scalars(due.with_for_update(skip_locked=True)))
                if not ids:
                    return []
                condition = OutboxMessage.id.in_(ids)
            else:
                condition = OutboxMessage.id.in_(due.scalar_subquery())
            claimed = session.scalars(
                update(OutboxMessage)
                .where(condition, OutboxMessage.state == OutboxState.QUEUED)
                .values(
                    state=OutboxState.SENDING,
                    claimed_by=self.worker_id,
                    claimed_until=now + self.settings.lease,
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(OutboxMessage.id)
            ).all()
        return sorted(claimed)

    # -- one message -------------------------------------------------------------------------

    def _deliver(self, *outbox_ids: int) -> DispatchResult:
        """Prepare the claimed messages together, send each, record them together."""
        result = DispatchResult()
        prepared = self._prepare(outbox_ids, result)
        outcomes: list[tuple[int, PreparedMessage, SendReceipt | DeliveryError]] = []
        for outbox_id, message in prepared.items():
            try:
                receipt = message.channel.send(message.message)
            except DeliveryError as exc:
                outcomes.append((outbox_id, message, exc))
                continue
            if self.after_send is not None:
                self.after_send(outbox_id)
            outcomes.append((outbox_id, message, receipt))
        if outcomes:
            result += self._record(outcomes)
        return result

    def _prepare(
        self, outbox_ids: tuple[int, ...], result: DispatchResult
    ) -> dict[int, PreparedMessage]:
        """Check and prepare every claimed message in one transaction; counts what is not
        sent into ``result``."""
        now = self.clock()
        prepared: dict[int, PreparedMessage] = {}
        with self.db.transaction(now=now) as session:
            # `loaded` holds the batch's rows while it is prepared: the session's identity
            # map keeps only weak references, and without these every `session.get` below
            # went back to the database (and autoflushed the tokens one by one first).
            consent, loaded = self._load_batch(session, outbox_ids)
            meetings = _group_meetings(session, loaded)
            for outbox_id in outbox_ids:
                outcome = self._prepare_one(session, outbox_id, consent, now, meetings)
                if isinstance(outcome, DispatchResult):
                    result += outcome
                else:
                    prepared[outbox_id] = outcome
            del loaded
        return prepared

    def _load_batch(
        self, session: Session, outbox_ids: tuple[int, ...]
    ) -> tuple[dict[int, Consent], list[object]]:
        """Read the batch's rows, invitations, patients, episodes, units and appointments
        in a few SELECTs; returns each patient's consent folded from their events, and the
        loaded objects, which the caller keeps referenced so that the identity map answers
        `session.get` without a query."""
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids))))
        loaded: list[object] = list(rows)
        invitation_ids = {r.invitation_id for r in rows if r.invitation_id is not None}
        patient_ids = {r.patient_id for r in rows if r.patient_id is not None}
        invitations = (
            list(session.scalars(select(Invitation).where(Invitation.id.in_(invitation_ids))))
            if invitation_ids
            else []
        )
        loaded.extend(invitations)
        episode_ids = {i.episode_id for i in invitations}
        if episode_ids:
            loaded.extend(
                session.scalars(
                    select(Episode)
                    .where(Episode.id.in_(episode_ids))
                    .options(joinedload(Episode.unit))
                )
            )
        appointment_ids = {i.appointment_id for i in invitations if i.appointment_id}
        if appointment_ids:
            loaded.extend(
                session.scalars(select(Appointment).where(Appointment.id.in_(appointment_ids)))
            )
        patients = list(session.scalars(select(Patient).where(Patient.id.in_(patient_ids))))
        loaded.extend(patients)
        consent = consent_by_patient(
            session, [p.id for p in patients], {p.id: p.preferred_channel for p in patients}
        )
        return consent, loaded

    def _prepare_one(
        self,
        session: Session,
        outbox_id: int,
        consent: Mapping[int, Consent],
        now: dt.datetime,
        meetings: Mapping[int, dt.datetime],
    ) -> PreparedMessage | DispatchResult:
        row = session.get(OutboxMessage, outbox_id)
        if row is None or row.state != OutboxState.SENDING or row.claimed_by != self.worker_id:
            return DispatchResult(lost_claims=1)
        if row.kind == MessageKind.STAFF_INVITE:
            return self._prepare_staff_invite(session, row, now)
        invitation = session.get(Invitation, row.invitation_id) if row.invitation_id else None
        patient = session.get(Patient, row.patient_id)
        assert patient is not None
        if row.kind == MessageKind.ONE_TIME_CODE:
            return self._prepare_code(session, row, patient, now)
        reason = self._reason_not_to_send(
            session, row, invitation, patient, consent.get(patient.id), now
        )
        if reason is not None:
            row.state = OutboxState.CANCELLED
            row.last_error = reason
            if reason == NonResponse.CONSENT and invitation is not None:
                cancel_invitations(session, [invitation.id], NonResponse.CONSENT, now)
            log.info("outbox message cancelled", extra={"outbox_id": outbox_id})
            return DispatchResult(cancelled=1)
        assert invitation is not None
        episode = session.get(Episode, invitation.episode_id)
        assert episode is not None
        unit = episode.unit
        decision = send_window.decide(
            session,
            invitation,
            now,
            self.settings.min_answer_window,
            self.settings.zone,
            quiet=(unit.quiet_from, unit.quiet_until),
            consent=consent.get(patient.id),
        )
        if decision.skip is not None:
            send_window.skip(session, row, invitation, decision, now)
            return DispatchResult(skipped=1)
        if decision.waits(now):
            send_window.hold(row, decision.send_at)
            return DispatchResult(held=1)
        route = self._route(row, patient)
        if isinstance(route, DispatchResult):
            return route
        channel, address = route
        # Flushed with the batch's other tokens when the prepare transaction commits.
        token = mint_token(session, invitation, now, flush=False)
        language = patient.preferred_language.value
        meeting = meetings.get(invitation.id)
        text = message_text(
            TextKind(row.kind.value),
            language,
            sender_name(language, unit.message_name, self.translations_dir),
            self.link_for(token),
            self.translations_dir,
            meeting=None if meeting is None else _as_utc(meeting).astimezone(self.settings.zone),
        )
        return PreparedMessage(channel, outgoing_message(row, address, text), hash_token(token))

    def _reason_not_to_send(
        self,
        session: Session,
        row: OutboxMessage,
        invitation: Invitation | None,
        patient: Patient,
        from_events: Consent | None,
        now: dt.datetime,
    ) -> str | None:
        if invitation is None:
            return "no invitation"
        # Both the event history and the cached state must allow it: either one saying
        # "stop" or "pause" is enough to hold the message back.
        if from_events is None:
            from_events = consent_by_patient(
                session, [patient.id], {patient.id: patient.preferred_channel}
            )[patient.id]
        today = now.astimezone(self.settings.zone).date()
        if not (
            may_send(from_events, now, self.settings.zone)
            and may_contact(patient.consent_state, patient.paused_until, today)
        ):
            return NonResponse.CONSENT
        if invitation.expires_at <= now:
            return "window closed"
        if invitation.appointment_id is not None:
            appointment = session.get(Appointment, invitation.appointment_id)
            # Cancelled, or moved since this was planned (a scheduler run that read the old
            # time just before a move): the questionnaire is for a time that is gone.
            if appointment is not None and (
                appointment.status == AppointmentStatus.CANCELLED
                or not slot_fits_start(invitation.slot_key, appointment.starts_at)
            ):
                cancel_invitations(session, [invitation.id], NonResponse.APPOINTMENT_CHANGED, now)
                return "appointment changed"
        wanted = (
            (InvitationState.SCHEDULED,)
            if row.kind == MessageKind.INVITATION
            else (InvitationState.SENT, InvitationState.OPENED)
        )
        if invitation.state not in wanted:
            return "invitation closed"
        return None


def _group_meetings(session: Session, loaded: list[object]) -> dict[int, dt.datetime]:
    """The start of the group meeting each of the batch's invitations to a group form is
    about, by invitation id (one query; none for a batch without group forms)."""
    invitation_ids = [
        row.id
        for row in loaded
        if isinstance(row, Invitation) and row.slot_key.startswith(GROUP_SLOT_PREFIX)
    ]
    if not invitation_ids:
        return {}
    return {
        invitation_id: starts_at
        for invitation_id, starts_at in session.execute(
            select(GroupAttendance.invitation_id, GroupSession.starts_at)
            .join(GroupSession, GroupSession.id == GroupAttendance.group_session_id)
            .where(GroupAttendance.invitation_id.in_(invitation_ids))
        )
        if invitation_id is not None
    }


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite gives the stored UTC time back without its zone.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
