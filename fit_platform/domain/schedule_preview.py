"""What a schedule template would send: the dates a new episode would get, worked out by the
scheduler's own rules (`due_invitations`) for an example course of treatment.

The example: a patient registered now (`registered_at`, the page's injected clock), with
`appointments` weekly appointments starting on `first_appointment`, who answers nothing and
never pauses. The preview runs until a day after the last appointment, so weekly and daily
rules show what they send during that course (they go on for as long as the episode is open).

It starts from now, not from a fixed morning hour: at 22:30 a daily 10:00 questionnaire was
listed for 10:00 today, a time already gone. A slot whose time today has passed but whose
window is still open is sent by the scheduler at once (or when quiet hours end), so it is
listed at the registration time (`sent_at_registration`), never at a time already passed; one
found late in quiet hours is listed when they end and marked late as well (`late_send`); one
whose window has closed is not listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from fit_platform.domain.consent import Consent
from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, QuietHours, local_to_utc
from fit_platform.domain.schedule_model import (
    AppointmentSnapshot,
    DueInvitation,
    EpisodeSnapshot,
    ScheduleRule,
)
from fit_platform.domain.scheduling import due_invitations

PREVIEW_EPISODE_ID = 0  # an example, never stored
SATURDAY = 5  # date.weekday()


@dataclass(frozen=True)
class ExampleCourse:
    registered_at: datetime  # aware: the moment the example patient is registered
    first_appointment: datetime  # aware
    appointments: int = 6
    every: timedelta = timedelta(weeks=1)

    def __post_init__(self) -> None:
        if self.registered_at.tzinfo is None or self.first_appointment.tzinfo is None:
            raise ValueError("the registration and first appointment must be timezone-aware")
        if not 1 <= self.appointments <= 52:
            raise ValueError("an example course has 1 to 52 appointments")

    def appointment_times(self) -> list[datetime]:
        return [self.first_appointment + n * self.every for n in range(self.appointments)]

    def registered_on(self, tz: ZoneInfo) -> date:
        return self.registered_at.astimezone(tz).date()


def example_course(now: datetime, tz: ZoneInfo, appointments: int = 6) -> ExampleCourse:
    """A patient registered `now`, first seen a week later at 10:00 (on the Monday after, when
    that day is a Saturday or Sunday: read on a weekend, every example session fell on one),
    then weekly (the same local time each week, across a DST change too)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    week_later = now.astimezone(tz).date() + timedelta(days=7)
    weekend = week_later.weekday() >= SATURDAY
    first_day = week_later + timedelta(days=7 - week_later.weekday() if weekend else 0)
    return ExampleCourse(
        registered_at=now,
        first_appointment=local_to_utc(first_day, time(10, 0), tz),
        appointments=appointments,
    )


class LateSend(StrEnum):
    """Why a slot is listed at another time than planned (the page words each)."""

    AT_REGISTRATION = "at_registration"  # its planned time had passed: it goes at once
    AFTER_QUIET_HOURS = "after_quiet_hours"  # passed, and registered in quiet hours


def late_send(item: DueInvitation, course: ExampleCourse) -> LateSend | None:
    """How a slot whose planned time had passed at registration goes, else None.

    Told by the scheduler's own `found_late`, not by comparing the listed time with the
    registration: a late slot found in quiet hours is listed when they end (08:00), and a
    slot planned for the very minute of registration is on time."""
    if not item.found_late:
        return None
    if item.send_at <= course.registered_at:
        return LateSend.AT_REGISTRATION
    return LateSend.AFTER_QUIET_HOURS


def sent_at_registration(item: DueInvitation, course: ExampleCourse) -> bool:
    """True for a slot whose planned time had passed at registration and that goes at once."""
    return late_send(item, course) is LateSend.AT_REGISTRATION


def _weekly_local(course: ExampleCourse, tz: ZoneInfo) -> list[datetime]:
    """Weekly appointments keep their local time of day, as a clinic's calendar does."""
    first_local = course.first_appointment.astimezone(tz)
    return [
        local_to_utc(first_local.date() + n * course.every, first_local.time(), tz)
        for n in range(course.appointments)
    ]


def preview_invitations(
    rules: Iterable[ScheduleRule],
    course: ExampleCourse,
    *,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
    tz: ZoneInfo,
) -> list[DueInvitation]:
    """Every invitation the rules would create for the example course, in send order, none
    listed before the registration: a slot found late goes at registration (see above)."""
    starts = _weekly_local(course, tz)
    appointments = [
        AppointmentSnapshot(id=n + 1, start=start, is_last=n == len(starts) - 1)
        for n, start in enumerate(starts)
    ]
    now = course.registered_at
    until = max(starts[-1], now) + timedelta(days=1)
    episode = EpisodeSnapshot(id=PREVIEW_EPISODE_ID, starts_on=course.registered_on(tz))
    due = due_invitations(
        episode,
        list(rules),
        appointments,
        Consent(),
        existing=(),
        now=now,
        quiet=quiet,
        horizon=until - now,
        tz=tz,
    )
    # The scheduler keeps a late slot's planned time as its due time and sends it at once;
    # the preview says when it leaves, which is what the administrator asks.
    return [_not_before(item, now) for item in due]


def _not_before(item: DueInvitation, now: datetime) -> DueInvitation:
    if item.send_at >= now:
        return item
    reminder = item.reminder_at
    return replace(
        item,
        send_at=now,
        reminder_at=max(reminder, now) if reminder is not None else None,
    )
