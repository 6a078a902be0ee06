"""The sessions and questionnaires behind the demo patients' answers.

The demo's patients have sixteen weeks of PHQ-9, GAD-7 and WAI-SR answers, but the answers were
stored on their own: the appointments page of a patient with sixteen weeks of answers listed no
past session and "Questionnaires sent" held only the demo's one open link. Each week now has
what a clinic's record would hold:

- an outpatient's session that took place, at 10:00 local time on the first weekday after the
  day the PHQ-9 and GAD-7 were answered, with the WAI-SR answered two hours after it (the
  outpatient plan: outcome before the session, alliance after it); a day-programme patient has
  no sessions (its plan is weekly);
- for every answer, the questionnaire that asked for it: sent outside quiet hours (21–08), some
  hours before the answer, then opened and answered, its window closed long before the demo
  starts.

The invitations' slot keys are the demo's own (``demo-history:…``), never one the scheduler
makes, so the scheduler neither skips nor repeats a slot of its own because of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from fit_platform.db.models import Appointment, Invitation
from fit_platform.domain.codes import AppointmentStatus, InvitationState
from fit_platform.domain.quiet_hours import latest_send_time_before

SESSION_TIME = dt.time(10, 0)
SESSION_LENGTH = dt.timedelta(minutes=45)
ALLIANCE_AFTER_SESSION = dt.timedelta(hours=2)
# How long before the answer the link went out, and how long after it the window stayed open
# (the demo plan's: three days before a session, two days after it for the alliance).
SENT_BEFORE_ANSWER = dt.timedelta(hours=6)
OPENED_BEFORE_ANSWER = dt.timedelta(minutes=3)
WINDOW_AFTER_SENDING = dt.timedelta(hours=48)
# Not "demo-…": that prefix marks the demo's planned sessions (`demo_seed.DEMO_REF_PREFIX`).
PAST_SESSION_REF = "past-demo-session:"
HISTORY_SLOT = "demo-history:"


@dataclass(frozen=True)
class DemoWeek:
    """When a week's outcome questionnaires were answered, its session (outpatients only) and
    when the alliance questionnaire was answered."""

    outcome_at: dt.datetime
    session_at: dt.datetime | None
    alliance_at: dt.datetime


def demo_week(outcome_at: dt.datetime, *, outpatient: bool, zone: ZoneInfo) -> DemoWeek:
    if not outpatient:
        return DemoWeek(outcome_at, None, outcome_at + dt.timedelta(days=1))
    # The first weekday after the day of the outcome answers: its session starts after them,
    # in clinic hours, and days before the next week's answers.
    day = (outcome_at + dt.timedelta(days=1)).astimezone(zone).date()
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    session_at = dt.datetime.combine(day, SESSION_TIME, zone).astimezone(dt.UTC)
    return DemoWeek(outcome_at, session_at, session_at + ALLIANCE_AFTER_SESSION)


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
    instrument_id: str,
    week: int,
    answered_at: dt.datetime,
    zone: ZoneInfo,
    appointment_id: int | None = None,
    closes_at: dt.datetime | None = None,
) -> int:
    """The questionnaire that asked for an answer given at `answered_at`; returns its id.
    `closes_at`: the end of its window when not the default (an outcome questionnaire before a
    session closes when the session starts)."""
    # A clinic's scheduler sends nothing in quiet hours, so neither did the demo's history.
    sent = latest_send_time_before(answered_at - SENT_BEFORE_ANSWER, tz=zone)
    invitation = Invitation(
        episode_id=episode_id,
        instrument_id=instrument_id,
        slot_key=f"{HISTORY_SLOT}{week}",
        appointment_id=appointment_id,
        state=InvitationState.COMPLETED,
        due_at=sent,
        expires_at=closes_at or sent + WINDOW_AFTER_SENDING,
        created_at=sent,
        sent_at=sent,
        opened_at=answered_at - OPENED_BEFORE_ANSWER,
        completed_at=answered_at,
    )
    session.add(invitation)
    session.flush()
    return invitation.id
