"""Which episodes an enqueue tick looks at: SQL that narrows tens of thousands of episodes to
the few that may have an invitation due.

It only prunes; the domain's `due_invitations` decides for what it picks (`enqueue.py`). An
episode picked with nothing due costs a little work, one left out that has something due
loses an invitation, so every time range here is widened by the longest offset, window and
quiet-hours push any active rule could give.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from fit_platform.db.models import (
    Appointment,
    Episode,
    Invitation,
    Patient,
    SchedulePlan,
    ScheduleRule,
    Unit,
)
from fit_platform.domain.codes import (
    AppointmentStatus,
    ConsentState,
    EpisodeStatus,
    InvitationState,
    ScheduleTrigger,
    UnitKind,
)
from fit_platform.domain.schedule_model import day_slot_key
from fit_platform.services.unattended import someone_sees_answers

APPOINTMENT_TRIGGERS = (
    ScheduleTrigger.BEFORE_APPOINTMENT,
    ScheduleTrigger.AFTER_APPOINTMENT,
    ScheduleTrigger.FIRST_SESSION,
    ScheduleTrigger.LAST_SESSION,
)
ONCE_PER_EPISODE = (ScheduleTrigger.FIRST_SESSION, ScheduleTrigger.LAST_SESSION)
DAY_TRIGGERS = (ScheduleTrigger.WEEKLY, ScheduleTrigger.DAILY)
LIVE_APPOINTMENT = (AppointmentStatus.PLANNED, AppointmentStatus.DONE)
# Quiet hours can push a send by up to this much; candidate ranges allow for it.
QUIET_SLACK = dt.timedelta(hours=13)


def _active_episode_with_plan() -> Any:
    return (
        select(Episode.id)
        .join(SchedulePlan, SchedulePlan.episode_id == Episode.id)
        .join(ScheduleRule, ScheduleRule.plan_id == SchedulePlan.id)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Unit, Unit.id == Episode.unit_id)
        .where(
            Episode.status == EpisodeStatus.ACTIVE,
            # An archived unit sends nothing new (docs/administration.md).
            Unit.archived_at.is_(None),
            ScheduleRule.active.is_(True),
            # The cached consent state only prunes; the events decide (see enqueue._due_for).
            Patient.consent_state != ConsentState.STOPPED,
            # Nobody would see the answers (no active therapist, no unit lead): ask nothing.
            someone_sees_answers(Episode.id),
        )
    )


def appointment_candidates(
    session: Session,
    now: dt.datetime,
    horizon: dt.timedelta,
    max_offset: dt.timedelta,
    max_window: dt.timedelta,
) -> set[int]:
    """Episodes with a live appointment near `now` that an appointment rule has made no
    invitation for yet."""
    already = exists().where(
        Invitation.episode_id == Episode.id,
        Invitation.rule_id == ScheduleRule.id,
        # A withdrawn or expired one leaves room for a fresh one if the appointment moved;
        # the domain rule decides (an answered one stands: scheduling.due_invitations).
        Invitation.state.not_in((InvitationState.CANCELLED, InvitationState.EXPIRED)),
        or_(
            Invitation.appointment_id == Appointment.id, ScheduleRule.trigger.in_(ONCE_PER_EPISODE)
        ),
    )
    query = (
        _active_episode_with_plan()
        .join(Appointment, Appointment.episode_id == Episode.id)
        .where(
            ScheduleRule.trigger.in_(APPOINTMENT_TRIGGERS),
            Appointment.status.in_(LIVE_APPOINTMENT),
            Appointment.starts_at >= now - max_offset - max_window - QUIET_SLACK,
            Appointment.starts_at <= now + horizon + max_offset + QUIET_SLACK,
            or_(
                ScheduleRule.trigger == ScheduleTrigger.AFTER_APPOINTMENT,
                Appointment.starts_at > now,
            ),
            ~already,
        )
        .distinct()
    )
    return set(session.scalars(query))


def day_candidates(
    session: Session,
    now: dt.datetime,
    horizon: dt.timedelta,
    max_window: dt.timedelta,
    zone: ZoneInfo,
) -> set[int]:
    """Episodes with a day rule for a recent day (up to `now + horizon`) that has no
    invitation for that day yet."""
    until_local = (now + horizon).astimezone(zone)
    first_day = (now - max_window - QUIET_SLACK).astimezone(zone).date()
    found: set[int] = set()
    day = first_day
    while day <= until_local.date():
        iso = str(day.isoweekday())
        slot = day_slot_key(day)
        weekday_matches = or_(
            ScheduleRule.weekdays.like(f"%{iso}%"),
            and_(
                ScheduleRule.trigger == ScheduleTrigger.DAILY,
                ScheduleRule.weekdays.is_(None),
                literal(day.isoweekday() <= 5),
            ),
        )
        query = (
            _active_episode_with_plan()
            .where(
                ScheduleRule.trigger.in_(DAY_TRIGGERS),
                # A daily rule runs only at a day programme (domain/unit_triggers.py).
                or_(
                    ScheduleRule.trigger != ScheduleTrigger.DAILY,
                    Unit.kind == UnitKind.DAY_PROGRAMME,
                ),
                weekday_matches,
                Episode.started_on <= day,
                or_(Episode.ended_on.is_(None), Episode.ended_on >= day),
                ~exists().where(
                    Invitation.episode_id == Episode.id,
                    Invitation.instrument_id == ScheduleRule.instrument_id,
                    Invitation.slot_key == slot,
                ),
            )
            .distinct()
        )
        if day == until_local.date():
            latest = until_local.strftime("%H:%M")
            query = query.where(func.coalesce(ScheduleRule.send_time, "10:00") <= latest)
        found.update(session.scalars(query))
        day += dt.timedelta(days=1)
    return found
