"""The demo's printed patient link: the first demo patient's PHQ-9 for their next session.

The invitation is the one the scheduler makes for that session (its slot key, rule and
appointment), so its answer window closes when the session starts (docs/patient-journey.md),
moving or cancelling the session withdraws it, and the scheduler does not send a second one
beside it. Only the message is left out: the demo prints the link instead. A fixed 48-hour
window of its own outlived the session it was for.

The invitation it makes is recorded as reached (`sent_at`, so the link can be answered at any
hour, quiet hours included, and the scheduler's slot is taken) and as shown in the demo
(`shown_in_demo`): staff pages then read "Link shown in the demo …, no message sent", not
"Sent …". Nothing went to anyone; the link was printed for the person trying the demo, and at
night a "Sent 22:30" contradicted the quiet hours the schedule page promises. When the
scheduler made the invitation first but still holds it (quiet hours), the printed link takes it
over the same way and its waiting message is cancelled: otherwise staff read "To be sent" for a
link she may have answered, and a message with a second token went out at 08:00.

Printing a link is a send like any other: it asks the patient's consent (folded from her
events, as the scheduler does) and the rule's minimum interval. A restarted demo whose first
patient has paused or stopped, or answered a PHQ-9 less than the interval ago, prints no link
and says why (`NoDemoSession.reason`); it once made her a new invitation, marked sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Episode,
    Invitation,
    OutboxMessage,
    Patient,
    SchedulePlan,
    ScheduleRule,
)
from fit_platform.domain.codes import (
    AppointmentStatus,
    ConsentState,
    InvitationState,
    MessageKind,
    OutboxState,
    ScheduleTrigger,
)
from fit_platform.domain.invitation_times import expiry_time
from fit_platform.domain.schedule_model import AppointmentSnapshot, appointment_slot_key
from fit_platform.services.demo_patients import DEMO_PATIENTS
from fit_platform.services.invitation_common import OPEN_STATES, consent_by_patient
from fit_platform.services.links import link_path, mint_token
from fit_platform.services.schedule_plans import domain_rule

log = logging.getLogger(__name__)

FIRST_PATIENT = DEMO_PATIENTS[0][0]
INSTRUMENT = "phq9"
# A link the reader cannot use before its window closes is not worth printing.
LEAST_TIME_LEFT = dt.timedelta(hours=1)
# Why the scheduler's waiting message for a printed invitation was cancelled (`last_error`).
SHOWN_IN_DEMO = "shown_in_demo"


class NoDemoSession(LookupError):
    """No link may be printed for the first demo patient; `reason` says why:

    - NO_SESSION: no upcoming session with a PHQ-9 slot left (the demo schedules were not
      seeded, or every such slot was answered already);
    - PAUSED / STOPPED: she has paused (`until`: her last paused day) or stopped questionnaires;
    - TOO_SOON: a PHQ-9 went to her less than the rule's minimum interval ago (`until`: the
      first moment another may be sent).
    """

    NO_SESSION = "no_session"
    PAUSED = "paused"
    STOPPED = "stopped"
    TOO_SOON = "too_soon"

    def __init__(self, reason: str = NO_SESSION, until: dt.date | dt.datetime | None = None):
        super().__init__(FIRST_PATIENT, reason)
        self.reason = reason
        self.until = until


def demo_patient_link(db: Database, *, now: dt.datetime, zone: ZoneInfo) -> str:
    """A fresh link path for the first demo patient's PHQ-9 before their next session.

    Called by `fit-platform demo` after `seed_demo_patients` and `seed_demo_schedules`. The
    session's open invitation is reused when there is one (the scheduler's own, or the one
    printed by an earlier start); otherwise it is created as the scheduler would, reached
    now and marked `shown_in_demo` (no message is queued or sent).
    A new token is minted on every call (the raw token is only returned, never stored).
    """
    with db.transaction(now=now) as session:
        first = session.execute(
            select(Episode.id, Episode.patient_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Patient.external_id == FIRST_PATIENT)
            .order_by(Episode.id)
            .limit(1)
        ).first()
        episode_id = first.id if first is not None else None
        rule = session.scalar(
            select(ScheduleRule)
            .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
            .where(
                SchedulePlan.episode_id == episode_id,
                ScheduleRule.instrument_id == INSTRUMENT,
                ScheduleRule.trigger == ScheduleTrigger.BEFORE_APPOINTMENT,
            )
        )
        if first is None or rule is None:
            raise NoDemoSession()
        _refuse_without_consent(session, first.patient_id, now, zone)
        invitation = _invitation_for_next_session(session, first.id, rule, now)
        token = mint_token(session, invitation, now)
    log.info(
        "demo link printed",
        extra={"invitation_id": invitation.id, "appointment_id": invitation.appointment_id},
    )
    return link_path(token)


def _invitation_for_next_session(
    session: Session, episode_id: int, rule: ScheduleRule, now: dt.datetime
) -> Invitation:
    appointments = session.scalars(
        select(Appointment)
        .where(
            Appointment.episode_id == episode_id,
            Appointment.status == AppointmentStatus.PLANNED,
            Appointment.starts_at > now + LEAST_TIME_LEFT,
        )
        .order_by(Appointment.starts_at)
    ).all()
    for appointment in appointments:
        snapshot = AppointmentSnapshot(appointment.id, appointment.starts_at)
        slot_key = appointment_slot_key(snapshot, ScheduleTrigger.BEFORE_APPOINTMENT)
        existing = session.scalar(
            select(Invitation).where(
                Invitation.episode_id == episode_id,
                Invitation.instrument_id == INSTRUMENT,
                Invitation.slot_key == slot_key,
            )
        )
        if existing is None:
            _refuse_within_interval(session, episode_id, rule, now)
            invitation = Invitation(
                episode_id=episode_id,
                instrument_id=INSTRUMENT,
                slot_key=slot_key,
                appointment_id=appointment.id,
                rule_id=rule.id,
                state=InvitationState.SENT,
                due_at=now,
                # The window the scheduler's own invitation would have: printed days before
                # the plan sends it, a window counted from now closed before the session.
                expires_at=expiry_time(
                    max(now, appointment.starts_at - dt.timedelta(hours=rule.offset_hours)),
                    domain_rule(rule),
                    snapshot,
                ),
                sent_at=now,
                shown_in_demo=True,
            )
            session.add(invitation)
            session.flush()
            return invitation
        if existing.state in OPEN_STATES and existing.expires_at > now + LEAST_TIME_LEFT:
            if existing.state is InvitationState.SCHEDULED:
                _take_over_scheduled(session, existing, now)
            return existing
        # That session's PHQ-9 was answered, declined or has closed: the next session's.
    raise NoDemoSession()


def _take_over_scheduled(session: Session, invitation: Invitation, now: dt.datetime) -> None:
    """The scheduler made the session's invitation but has not sent it yet (quiet hours hold
    it until 08:00): the printed link is now how it reached her. It is recorded as the demo's
    printed link, as one the demo makes itself, and its waiting message is cancelled, so no
    second link goes out at 08:00 and staff do not read "To be sent" for a link she may
    already have answered."""
    invitation.state = InvitationState.SENT
    invitation.sent_at = now
    invitation.shown_in_demo = True
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.invitation_id == invitation.id,
            OutboxMessage.kind == MessageKind.INVITATION,
            OutboxMessage.state == OutboxState.QUEUED,
        )
        .values(state=OutboxState.CANCELLED, last_error=SHOWN_IN_DEMO, claimed_until=None)
    )


def _refuse_without_consent(
    session: Session, patient_id: int, now: dt.datetime, zone: ZoneInfo
) -> None:
    consent = consent_by_patient(session, [patient_id])[patient_id]
    status = consent.status_at(now, zone)
    if status is ConsentState.STOPPED:
        raise NoDemoSession(NoDemoSession.STOPPED)
    if status is ConsentState.PAUSED:
        raise NoDemoSession(NoDemoSession.PAUSED, consent.paused_until)


def _refuse_within_interval(
    session: Session, episode_id: int, rule: ScheduleRule, now: dt.datetime
) -> None:
    """The scheduler's minimum interval (domain `due_invitations`), for a PHQ-9 sent now: any
    earlier one that was not withdrawn counts, answered or not, from when it really left (its
    planned time while it has not)."""
    interval = dt.timedelta(hours=rule.min_interval_hours or 0)
    if not interval:
        return
    left_at = func.coalesce(Invitation.sent_at, Invitation.due_at)
    latest = session.scalar(
        select(left_at)
        .where(
            Invitation.episode_id == episode_id,
            Invitation.instrument_id == INSTRUMENT,
            Invitation.state != InvitationState.CANCELLED,
            left_at > now - interval,
        )
        .order_by(left_at.desc())
        .limit(1)
    )
    if latest is not None:
        raise NoDemoSession(NoDemoSession.TOO_SOON, latest + interval)
