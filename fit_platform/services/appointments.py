"""Appointments typed in by the therapist: add, move, set the status, mark the last one.

Who may call it: a therapist responsible for (or shared on) the episode — the same rule as the
episode pages (`access_control.treating_episode`). Importing them from the patient record
system is `services.appointment_import`.
Moving an appointment or setting its status cancels, in the same transaction, the open
invitations tied to it that no longer fit (`cancel.cancel_for_appointment`, the tick's own rule)
and returns how many; the next tick plans the new ones. One the patient already answered or
declined stands for the moved appointment and is not asked again; a move says how many.
Times outside `domain.appointment_range` (2 years back, 5 ahead) are refused. A refused change
(out of range, an ended episode, a form that did not validate) writes no `appointment_change`
row: the access log records a change only when one was made (the rollback takes it with it).
An ended episode is read-only: adding, moving or setting the status of one of its appointments
raises `access_control.EpisodeClosed` and changes nothing (no questionnaire would go out).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Episode,
    EpisodeTherapist,
    Invitation,
)
from fit_platform.domain.appointment_range import is_accepted_time
from fit_platform.domain.codes import AppointmentStatus
from fit_platform.domain.scheduling import REPLIED_STATES
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.services.access_control import treating_episode
from fit_platform.services.cancel import cancel_for_appointment, cancel_for_appointments
from fit_platform.services.form_once import form_key, run_once

log = logging.getLogger(__name__)

CHANGE = "appointment_change"  # the access-log action of every change here


class AppointmentNotFound(LookupError):
    """Unknown appointment or episode, or one the caller may not see (same answer for both)."""


class AppointmentOutOfRange(ValueError):
    """The time lies outside the accepted range (`domain.appointment_range`)."""


class AppointmentMovedIntoPast(ValueError):
    """A move to a time that has already begun: nothing is changed. A walk moved a session
    to last week by a slip of the date; it was accepted, sat among the past appointments as
    "Planned" with no way to move it back, and the page promised a questionnaire for a time
    already gone. A session that took place is added as one (`recorded_after`)."""


class AppointmentAtSameTime(ValueError):
    """The episode has an appointment at that time already (not cancelled): nothing is added."""


class AppointmentNotBegun(ValueError):
    """Done or "did not attend" for a session whose time has not come: nothing is changed."""


def _episode_for(session: Session, staff_id: int, episode_id: int, now: dt.datetime) -> Episode:
    episode = treating_episode(session, staff_id, episode_id, action=CHANGE, now=now, change=True)
    if episode is None:
        raise AppointmentNotFound(episode_id)
    return episode


def _appointment_for(
    session: Session, staff_id: int, appointment_id: int, now: dt.datetime
) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise AppointmentNotFound(appointment_id)
    _episode_for(session, staff_id, appointment.episode_id, now)
    return appointment


def _check_range(starts_at: dt.datetime, ends_at: dt.datetime | None, now: dt.datetime) -> None:
    if not all(is_accepted_time(time, now) for time in (starts_at, ends_at or starts_at)):
        raise AppointmentOutOfRange(starts_at)


def recorded_after(starts_at: dt.datetime, now: dt.datetime) -> bool:
    """True when a typed-in appointment's time has already begun at `now`."""
    return starts_at <= now


def add_appointment(
    db: Database,
    *,
    staff_id: int,
    episode_id: int,
    starts_at: dt.datetime,
    now: dt.datetime,
    ends_at: dt.datetime | None = None,
    form_nonce: str | None = None,
) -> int:
    """Add an appointment; returns its id. The same form posted again (`form_nonce`) returns
    the first appointment's id and adds nothing (`services.form_once`). A time already past
    (`recorded_after`) is a record of a session held, catching up: it is saved as done, never
    as planned, so it is not listed or counted as a coming session."""
    _check_range(starts_at, ends_at, now)
    status = AppointmentStatus.DONE if recorded_after(starts_at, now) else AppointmentStatus.PLANNED

    def work(session: Session) -> int:
        _episode_for(session, staff_id, episode_id, now)
        # The same session booked twice (two tabs, or from a page loaded before the first was
        # added) would be asked about twice; a form posted again is `form_once`'s case, above.
        if session.scalar(
            select(Appointment.id).where(
                Appointment.episode_id == episode_id,
                Appointment.starts_at == starts_at,
                Appointment.status != AppointmentStatus.CANCELLED,
            )
        ):
            raise AppointmentAtSameTime(starts_at)
        appointment = Appointment(
            episode_id=episode_id, starts_at=starts_at, ends_at=ends_at, status=status
        )
        session.add(appointment)
        session.flush()
        log.info(
            "appointment added",
            extra={
                "event": "appointment_added",
                "appointment_id": appointment.id,
                "episode_id": episode_id,
                "staff_id": staff_id,
            },
        )
        return appointment.id

    key = form_key("appointment", f"staff:{staff_id}", form_nonce)
    created = run_once(db, key, now, work).result_id
    assert created is not None
    return created


@dataclass(frozen=True)
class MoveResult:
    """What a move did to the appointment's questionnaires: how many open ones were withdrawn
    (their links close at once; the tick plans them for the new time) and how many the patient
    had already answered or declined (they stand: nothing is asked again,
    `scheduling.due_invitations`)."""

    withdrawn: int
    replied: int
    # Sent, not answered, and the new time's would be due already: the same link stays open
    # for the moved appointment (`domain/moved_appointments.py`).
    kept: int = 0
    # Of those, started by the patient and kept although the new time's was not due yet:
    # they are reminded when it would have been sent.
    kept_ahead: int = 0


def move_appointment(
    db: Database,
    *,
    staff_id: int,
    appointment_id: int,
    starts_at: dt.datetime,
    now: dt.datetime,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> MoveResult:
    """Move an appointment; see `MoveResult`. `min_window` is the least time left to answer
    for a questionnaire the patient holds to stay open for the new time."""
    _check_range(starts_at, None, now)
    if recorded_after(starts_at, now):
        raise AppointmentMovedIntoPast(starts_at)
    with db.transaction(now=now) as session:
        appointment = _appointment_for(session, staff_id, appointment_id, now)
        duration = (appointment.ends_at - appointment.starts_at) if appointment.ends_at else None
        appointment.starts_at = starts_at
        appointment.ends_at = starts_at + duration if duration else None
        changed = cancel_for_appointment(session, appointment_id, now, min_window=min_window)
        replied = session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.appointment_id == appointment_id,
                Invitation.state.in_(REPLIED_STATES),
            )
        )
        log.info(
            "appointment moved",
            extra={
                "event": "appointment_moved",
                "appointment_id": appointment_id,
                "staff_id": staff_id,
                "cancelled": changed.withdrawn,
                "kept": changed.kept,
                "kept_ahead": changed.kept_ahead,
                "replied": replied,
            },
        )
    return MoveResult(
        withdrawn=changed.withdrawn,
        replied=replied or 0,
        kept=changed.kept,
        kept_ahead=changed.kept_ahead,
    )


def appointment_episode(db: Database, *, staff_id: int, appointment_id: int) -> int:
    """The episode of an appointment `staff_id` treats, to show its page again after a refused
    change. Logs nothing: nothing was changed, and the page shown logs its own read."""
    with db.session() as session:
        episode_id = session.scalar(
            select(Appointment.episode_id)
            .join(EpisodeTherapist, EpisodeTherapist.episode_id == Appointment.episode_id)
            .where(Appointment.id == appointment_id, EpisodeTherapist.staff_id == staff_id)
        )
    if episode_id is None:
        raise AppointmentNotFound(appointment_id)
    return episode_id


def set_appointment_status(
    db: Database,
    *,
    staff_id: int,
    appointment_id: int,
    status: AppointmentStatus,
    now: dt.datetime,
) -> int:
    """Set an appointment's status; returns how many of its open invitations were cancelled
    because they no longer fit it (a cancelled or missed session)."""
    with db.transaction(now=now) as session:
        appointment = _appointment_for(session, staff_id, appointment_id, now)
        # A session is done or missed only once its time has begun: marked so ahead, it sat
        # among the planned ones as "Done" while the scheduler still planned its questionnaire.
        if status in (AppointmentStatus.DONE, AppointmentStatus.NO_SHOW) and (
            appointment.starts_at > now
        ):
            raise AppointmentNotBegun
        appointment.status = status
        if status is AppointmentStatus.CANCELLED:
            # A cancelled session is no course's last: its mark read "Cancelled · last
            # appointment" while the schedule said none was marked.
            appointment.is_last = False
        cancelled = cancel_for_appointment(session, appointment_id, now).withdrawn
        log.info(
            "appointment status set",
            extra={
                "event": "appointment_status",
                "appointment_id": appointment_id,
                "status": status.value,
                "staff_id": staff_id,
                "cancelled": cancelled,
            },
        )
    return cancelled


@dataclass(frozen=True)
class LastMarked:
    withdrawn: int  # questionnaires withdrawn because the mark moved or was taken off
    later_planned: int  # planned appointments after the one marked last (the page says so)


def mark_last(
    db: Database, *, staff_id: int, appointment_id: int, last: bool, now: dt.datetime
) -> LastMarked:
    """Mark the appointment as the course's last session (`last`), or take the mark off. One
    per episode: marking another moves the mark. "Before the last appointment" asks before the
    marked one; its open questionnaire for an appointment no longer marked is withdrawn in the
    same transaction, by the tick's own rule (`cancel_for_appointments`)."""
    with db.transaction(now=now) as session:
        appointment = _appointment_for(session, staff_id, appointment_id, now)
        # Marking moves the mark: the episode's other marked appointment loses it.
        unmarked = (
            list(
                session.scalars(
                    select(Appointment).where(
                        Appointment.episode_id == appointment.episode_id,
                        Appointment.is_last.is_(True),
                        Appointment.id != appointment_id,
                    )
                )
            )
            if last
            else []
        )
        for other in unmarked:
            other.is_last = False
        appointment.is_last = last
        changed = [appointment_id, *(other.id for other in unmarked)]
        cancelled = cancel_for_appointments(session, changed, now).withdrawn
        later = (
            session.scalar(
                select(func.count(Appointment.id)).where(
                    Appointment.episode_id == appointment.episode_id,
                    Appointment.starts_at > appointment.starts_at,
                    Appointment.status == AppointmentStatus.PLANNED,
                )
            )
            if last
            else 0
        )
        log.info(
            "last appointment marked" if last else "last appointment mark removed",
            extra={
                "event": "appointment_last" if last else "appointment_not_last",
                "appointment_id": appointment_id,
                "episode_id": appointment.episode_id,
                "staff_id": staff_id,
                "cancelled": cancelled,
            },
        )
    return LastMarked(cancelled, int(later or 0))
