"""The sessions and questionnaires behind the demo patients' answers.

The demo's patients have sixteen weeks of PHQ-9, GAD-7 and WAI-SR answers, but the answers were
stored on their own: the appointments page of a patient with sixteen weeks of answers listed no
past session and "Questionnaires sent" held only the demo's one open link. Each week now has
what a clinic's record would hold:

- an outpatient's session that took place, on a weekday in clinic hours at the patient's own
  hour (`SESSION_HOUR_OF`: no two demo patients of one therapist at the same time), with the
  PHQ-9 and GAD-7 sent as the demo's plan sends them (`PHQ9_LEAD_HOURS` before the session,
  outside quiet hours) and answered the evening before, and the WAI-SR sent an hour after the
  session started and answered an hour later;
- a day-programme patient's outcome questionnaires sent on Monday at 09:00 and the WAI-SR on
  Friday at 13:00, as the day programme's plan sends them, each answered within the hour; it
  has no sessions;
- every time is a local time in the service's zone, so the weekdays and hours hold across the
  clock changes of the sixteen weeks.

The invitations' slot keys are the demo's own (``demo-history:…``), never one the scheduler
makes, so the scheduler neither skips nor repeats a slot of its own because of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from fit_platform.db.models import Appointment, Invitation, OutboxMessage
from fit_platform.domain.codes import (
    AppointmentStatus,
    Channel,
    InvitationState,
    MessageKind,
    OutboxState,
)
from fit_platform.domain.quiet_hours import latest_send_time_before
from fit_platform.services.demo_seed import PHQ9_LEAD_HOURS
from fit_platform.services.invitation_common import message_key

# The outpatients' session hour, by the patient's number in `demo_patients.DEMO_PATIENTS`.
SESSION_HOUR_OF = {1: 9, 2: 10}
SESSION_LENGTH = dt.timedelta(minutes=45)
# The outpatient plan: outcome open from PHQ9_LEAD_HOURS before the session until it starts,
# answered the evening before; the alliance sent an hour after the session starts.
OUTCOME_ANSWERED = dt.time(19, 30)
ALLIANCE_SENT_AFTER_START = dt.timedelta(hours=1)
# The day programme's plan: outcome on Mondays 09:00, alliance on Fridays 13:00.
PROGRAMME_OUTCOME = (0, dt.time(9, 0))
PROGRAMME_ALLIANCE = (4, dt.time(13, 0))
ANSWERED_AFTER_SENDING = dt.timedelta(minutes=40)
OPENED_BEFORE_ANSWER = dt.timedelta(minutes=3)
WINDOW_AFTER_SENDING = dt.timedelta(hours=48)
# Not "demo-…": that prefix marks the demo's planned sessions (`demo_seed.DEMO_REF_PREFIX`).
PAST_SESSION_REF = "past-demo-session:"
HISTORY_SLOT = "demo-history:"


@dataclass(frozen=True)
class DemoWeek:
    """When a week's outcome questionnaires were sent and answered, its session (outpatients
    only), and when the alliance questionnaire was sent and answered; all in UTC."""

    outcome_sent: dt.datetime
    outcome_at: dt.datetime
    session_at: dt.datetime | None
    alliance_sent: dt.datetime
    alliance_at: dt.datetime


def demo_week(
    week_starts: dt.date, *, outpatient: bool, patient_number: int, zone: ZoneInfo
) -> DemoWeek:
    """The week beginning on Monday `week_starts` (local), as the demo's plans would have run it."""

    def at(day: int, time: dt.time) -> dt.datetime:
        local = dt.datetime.combine(week_starts + dt.timedelta(days=day), time, zone)
        return local.astimezone(dt.UTC)

    if not outpatient:
        outcome_sent, alliance_sent = at(*PROGRAMME_OUTCOME), at(*PROGRAMME_ALLIANCE)
        return DemoWeek(
            outcome_sent,
            outcome_sent + ANSWERED_AFTER_SENDING,
            None,
            alliance_sent,
            alliance_sent + ANSWERED_AFTER_SENDING,
        )
    # Anna's sessions on Mondays, Bjørn's on Tuesdays (a clinic's week, not one day's queue).
    session_day = (patient_number - 1) % 5
    session_at = at(session_day, dt.time(SESSION_HOUR_OF.get(patient_number, 11), 0))
    outcome_at = at(session_day - 1, OUTCOME_ANSWERED)
    alliance_sent = session_at + ALLIANCE_SENT_AFTER_START
    return DemoWeek(
        latest_send_time_before(session_at - dt.timedelta(hours=PHQ9_LEAD_HOURS), tz=zone),
        outcome_at,
        session_at,
        alliance_sent,
        alliance_sent + ANSWERED_AFTER_SENDING,
    )


def add_past_session(session: Session, episode_id: int, number: int, starts: dt.datetime) -> int:
    """A session that took place; returns its id."""
    appointment = Appointment(
        episode_id=episode_id,
        external_ref=f"{PAST_SESSION_REF}{episode_id}-{number}",
        starts_at=starts,
        ends_at=starts + SESSION_LENGTH,
        status=AppointmentStatus.DONE,
    )
    session.add(appointment)
    session.flush()
    return appointment.id


def add_answered_invitation(
    session: Session,
    *,
    episode_id: int,
    patient_id: int,
    channel: Channel,
    instrument_id: str,
    week: int,
    sent_at: dt.datetime,
    answered_at: dt.datetime,
    appointment_id: int | None = None,
    closes_at: dt.datetime | None = None,
) -> int:
    """The questionnaire sent at `sent_at` that asked for an answer given at `answered_at`,
    with the message that carried its link (sent on the first attempt, as the dispatcher
    records one); returns its id. `closes_at`: the end of its window when not the default (an
    outcome questionnaire before a session closes when the session starts)."""
    invitation = Invitation(
        episode_id=episode_id,
        instrument_id=instrument_id,
        slot_key=f"{HISTORY_SLOT}{week}",
        appointment_id=appointment_id,
        state=InvitationState.COMPLETED,
        due_at=sent_at,
        expires_at=closes_at or sent_at + WINDOW_AFTER_SENDING,
        created_at=sent_at,
        sent_at=sent_at,
        opened_at=answered_at - OPENED_BEFORE_ANSWER,
        completed_at=answered_at,
    )
    session.add(invitation)
    session.flush()
    session.add(
        OutboxMessage(
            dedupe_key=message_key(invitation.id, MessageKind.INVITATION),
            patient_id=patient_id,
            invitation_id=invitation.id,
            kind=MessageKind.INVITATION,
            sequence=1,
            channel=channel,
            state=OutboxState.SENT,
            attempts=1,
            next_attempt_at=sent_at,
            created_at=sent_at,
            sent_at=sent_at,
        )
    )
    return invitation.id
