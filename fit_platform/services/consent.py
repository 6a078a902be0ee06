"""Consent: decline one questionnaire, pause until a date, stop, restart, change channel or ask
for fewer questionnaires. Every change takes effect at once, in one transaction:

1. an append-only ``ConsentEvent`` is written (who, what, when, optional reason);
2. ``Patient.consent_state`` / ``paused_until`` / ``preferred_channel`` are updated;
3. pending work is cancelled: open invitations become ``cancelled`` (the declined one
   ``declined``) and their queued messages ``cancelled``, so a dispatcher that already
   selected them finds nothing to send;
4. a restart (or the end of a pause) reopens what the pause or stop cancelled and can still
   be answered: the invitation gets its state back (its links work again) and its unsent
   messages are queued again, for the dispatcher to send at an allowed hour.

Anyone may call these functions: the patient pages, the therapist pages (actor=STAFF) and the
scheduler (``resume_ended_pauses``). A patient's change through a link whose episode has closed
is refused (``episode_closed``): nothing more is sent for that treatment period, so a pause,
stop, restart, channel change or wish for fewer would only be a promise nobody keeps; the pages
say the period has ended instead (docs/patient-journey.md). Send paths ask ``may_contact``
before creating or sending anything. Logs carry ids and the event kind only, never the reason text.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import ConsentEvent, Episode, Invitation, OutboxMessage, Patient
from fit_platform.domain.codes import (
    Actor,
    Channel,
    ConsentEventKind,
    ConsentState,
    EpisodeStatus,
    InvitationState,
    OutboxState,
)
from fit_platform.domain.free_text import clean_free_text
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.services.consent_reopen import QUESTIONNAIRE_MESSAGES, reopen_cancelled
from fit_platform.services.invitation_common import NonResponse, rowcount

log = logging.getLogger(__name__)


REASON_MAX = 500
# A pause longer than a year is really a stop; asking to stop says so honestly.
MAX_PAUSE_DAYS = 366
OPEN_INVITATION_STATES = (
    InvitationState.SCHEDULED,
    InvitationState.SENT,
    InvitationState.OPENED,
)


class ConsentError(ValueError):
    """The change cannot be made as asked; ``code`` says why (the view translates it)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class ConsentChange:
    kind: ConsentEventKind
    reason: str | None = None
    paused_until: dt.date | None = None
    channel: Channel | None = None


@dataclass(frozen=True)
class ConsentResult:
    event_id: int
    kind: ConsentEventKind
    state: ConsentState
    paused_until: dt.date | None
    cancelled_invitations: int
    cancelled_messages: int
    reopened_invitations: int = 0


def may_contact(state: ConsentState, paused_until: dt.date | None, today: dt.date) -> bool:
    """May anything be created or sent for this patient today? (Scheduler and dispatcher ask.)

    A pause "until" a date includes that date; sending may start again the day after.
    """
    if state is ConsentState.STOPPED:
        return False
    if state is ConsentState.PAUSED:
        return paused_until is not None and today > paused_until
    return True


def patient_may_be_contacted(session: Session, patient_id: int, today: dt.date) -> bool:
    patient = session.get_one(Patient, patient_id)
    return may_contact(patient.consent_state, patient.paused_until, today)


def _cancel_pending(
    session: Session,
    patient_id: int,
    now: dt.datetime,
    *,
    due_before: dt.datetime | None = None,
    reason: str,
) -> tuple[int, int]:
    """Cancel the patient's open invitations (due before ``due_before``, if given) and every
    queued invitation or reminder message for them. Returns (invitations, messages)."""
    episode_ids = select(Episode.id).where(Episode.patient_id == patient_id)
    condition: list[ColumnElement[bool]] = [
        Invitation.episode_id.in_(episode_ids),
        Invitation.state.in_(OPEN_INVITATION_STATES),
    ]
    if due_before is not None:
        condition.append(Invitation.due_at < due_before)
    invitation_ids = list(session.scalars(select(Invitation.id).where(*condition)))
    cancelled = 0
    if invitation_ids:
        # Still open when written: a questionnaire submitted in another tab holds its
        # invitation until it commits, and PostgreSQL checks this condition again on the row
        # it leaves, so a submitted one stays completed, not "cancelled for consent".
        cancelled = rowcount(
            session.execute(
                update(Invitation)
                .where(
                    Invitation.id.in_(invitation_ids), Invitation.state.in_(OPEN_INVITATION_STATES)
                )
                .values(state=InvitationState.CANCELLED, closed_at=now, non_response_reason=reason)
            )
        )
    messages = [
        OutboxMessage.patient_id == patient_id,
        OutboxMessage.state == OutboxState.QUEUED,
        OutboxMessage.kind.in_(QUESTIONNAIRE_MESSAGES),
    ]
    if due_before is not None:
        # Only the messages of the invitations cancelled now (and any without an invitation).
        messages.append(
            OutboxMessage.invitation_id.in_(invitation_ids) | OutboxMessage.invitation_id.is_(None)
        )
    result = session.execute(
        update(OutboxMessage).where(*messages).values(state=OutboxState.CANCELLED)
    )
    return cancelled, int(result.rowcount or 0)  # type: ignore[attr-defined]


def _patient_episode_open(session: Session, patient_id: int, invitation_id: int | None) -> bool:
    """Whether a patient's own change concerns a treatment period that is still going on: the
    episode of the link's invitation when there is one, else any of the patient's episodes.
    Read after the patient row is locked, so a close committed first is seen."""
    if invitation_id is not None:
        status = session.scalar(
            select(Episode.status)
            .join(Invitation, Invitation.episode_id == Episode.id)
            .where(Invitation.id == invitation_id, Episode.patient_id == patient_id)
        )
        # An invitation of someone else is not this rule's business (``no_invitation``).
        return status is not EpisodeStatus.ENDED
    return (
        session.scalar(
            select(Episode.id)
            .where(Episode.patient_id == patient_id, Episode.status == EpisodeStatus.ACTIVE)
            .limit(1)
        )
        is not None
    )


def sending_resumes_after(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """When a pause whose last day is `day` has run out: local midnight after it."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def apply_consent_change(
    session: Session,
    patient_id: int,
    change: ConsentChange,
    *,
    now: dt.datetime,
    actor: Actor = Actor.PATIENT,
    staff_id: int | None = None,
    invitation_id: int | None = None,
    zone: ZoneInfo,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> ConsentResult:
    """Make one consent change in the caller's transaction (see the module docstring).
    `min_window` (FIT_MIN_ANSWER_WINDOW_MINUTES) is the least time to answer that a
    questionnaire reopened by a restart must still have when its session moved meanwhile.

    Raises ``ConsentError`` with code ``episode_closed``, ``no_invitation``,
    ``date_not_in_future``, ``date_too_far``, ``no_phone``, ``no_email`` or ``no_channel``.
    """
    patient = session.get_one(Patient, patient_id, with_for_update=True)
    if actor is Actor.PATIENT and not _patient_episode_open(session, patient_id, invitation_id):
        raise ConsentError("episode_closed")
    today = now.astimezone(zone).date()
    reason = clean_free_text(change.reason or "")[:REASON_MAX] or None
    cancelled = (0, 0)
    reopened = 0
    kind = change.kind
    event_until: dt.date | None = None
    event_channel: Channel | None = None

    if kind is ConsentEventKind.DECLINED_INVITATION:
        if invitation_id is None:
            raise ConsentError("no_invitation")
        # Locked, as it is now: a submit in another tab that completed it is not undone.
        invitation = session.get_one(
            Invitation, invitation_id, with_for_update=True, populate_existing=True
        )
        episode = session.get_one(Episode, invitation.episode_id)
        if episode.patient_id != patient_id:
            raise ConsentError("no_invitation")
        if invitation.state in OPEN_INVITATION_STATES:
            invitation.state = InvitationState.DECLINED
            invitation.closed_at = now
            invitation.non_response_reason = "declined_by_patient"
            result = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.invitation_id == invitation.id,
                    OutboxMessage.state == OutboxState.QUEUED,
                )
                .values(state=OutboxState.CANCELLED)
            )
            cancelled = (1, int(result.rowcount or 0))  # type: ignore[attr-defined]
    elif kind is ConsentEventKind.PAUSED:
        until = change.paused_until
        if until is None or until <= today:
            raise ConsentError("date_not_in_future")
        if (until - today).days > MAX_PAUSE_DAYS:
            raise ConsentError("date_too_far")
        patient.consent_state = ConsentState.PAUSED
        patient.paused_until = until
        event_until = until
        cancelled = _cancel_pending(
            session,
            patient_id,
            now,
            due_before=sending_resumes_after(until, zone),
            reason=NonResponse.PAUSED_BY_PATIENT if actor is Actor.PATIENT else NonResponse.PAUSED,
        )
    elif kind is ConsentEventKind.STOPPED:
        patient.consent_state = ConsentState.STOPPED
        patient.paused_until = None
        cancelled = _cancel_pending(
            session,
            patient_id,
            now,
            reason=NonResponse.STOPPED_BY_PATIENT
            if actor is Actor.PATIENT
            else NonResponse.STOPPED,
        )
    elif kind in (ConsentEventKind.RESUMED, ConsentEventKind.RESTARTED):
        patient.consent_state = ConsentState.ACTIVE
        patient.paused_until = None
        reopened = reopen_cancelled(session, patient_id, now, min_window=min_window)
    elif kind is ConsentEventKind.CHANNEL_CHANGED:
        channel = change.channel
        if channel is None:
            raise ConsentError("no_channel")
        if channel is Channel.SMS and not patient.phone_e164:
            raise ConsentError("no_phone")
        if channel is Channel.EMAIL and not patient.email:
            raise ConsentError("no_email")
        patient.preferred_channel = channel
        event_channel = channel
        # Messages already queued go out by the new channel.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.patient_id == patient_id,
                OutboxMessage.state == OutboxState.QUEUED,
                OutboxMessage.kind.in_(QUESTIONNAIRE_MESSAGES),
            )
            .values(channel=channel)
        )
    elif kind is ConsentEventKind.FREQUENCY_REDUCED:
        # The wish is recorded for the therapist, who changes the schedule with the patient;
        # the platform does not guess which questionnaires to drop.
        pass

    event = ConsentEvent(
        patient_id=patient_id,
        invitation_id=invitation_id,
        kind=kind,
        actor=actor,
        staff_id=staff_id,
        reason=reason,
        paused_until=event_until,
        channel=event_channel,
        created_at=now,
    )
    session.add(event)
    session.flush()
    log.info(
        "consent changed",
        extra={
            "patient_id": patient_id,
            "consent_event_id": event.id,
            "kind": kind.value,
            "actor": actor.value,
            "cancelled_invitations": cancelled[0],
            "cancelled_messages": cancelled[1],
            "reopened_invitations": reopened,
        },
    )
    return ConsentResult(
        event.id,
        kind,
        patient.consent_state,
        patient.paused_until,
        cancelled[0],
        cancelled[1],
        reopened,
    )


def record_consent(
    db: Database,
    patient_id: int,
    change: ConsentChange,
    *,
    now: dt.datetime,
    actor: Actor = Actor.PATIENT,
    staff_id: int | None = None,
    invitation_id: int | None = None,
    zone: ZoneInfo,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> ConsentResult:
    """``apply_consent_change`` in its own transaction."""
    with db.transaction(now=now) as session:
        return apply_consent_change(
            session,
            patient_id,
            change,
            now=now,
            actor=actor,
            staff_id=staff_id,
            invitation_id=invitation_id,
            zone=zone,
            min_window=min_window,
        )


def resume_ended_pauses(
    db: Database,
    now: dt.datetime,
    *,
    zone: ZoneInfo,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> int:
    """Set paused patients whose pause has ended back to active (a RESUMED event each).

    For the scheduler clock; ``may_contact`` already treats an ended pause as active, so this
    only keeps the stored state and the history tidy. Returns how many patients were resumed.
    """
    today = now.astimezone(zone).date()
    with db.transaction(now=now) as session:
        ids = list(
            session.scalars(
                select(Patient.id).where(
                    Patient.consent_state == ConsentState.PAUSED, Patient.paused_until < today
                )
            )
        )
        for patient_id in ids:
            apply_consent_change(
                session,
                patient_id,
                ConsentChange(ConsentEventKind.RESUMED),
                now=now,
                actor=Actor.SYSTEM,
                zone=zone,
                min_window=min_window,
            )
    return len(ids)
