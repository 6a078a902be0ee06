"""What a schedule template would send: the dates a new episode would get, worked out by the
scheduler's own rules (`due_invitations`) for an example course of treatment.

The example: a patient registered at 09:00 on `registered_on`, with `appointments` weekly
appointments starting on `first_appointment`, who answers nothing and never pauses. The
preview runs until a day after the last appointment, so weekly and daily rules show what they
send during that course (they go on for as long as the episode is open).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fit_platform.domain.consent import Consent
from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, OSLO, QuietHours, local_to_utc
from fit_platform.domain.scheduling import (
    AppointmentSnapshot,
    DueInvitation,
    EpisodeSnapshot,
    ScheduleRule,
    due_invitations,
)

REGISTERED_AT = time(9, 0)
PREVIEW_EPISODE_ID = 0  # an example, never stored


@dataclass(frozen=True)
class ExampleCourse:
    registered_on: date
    first_appointment: datetime  # aware
    appointments: int = 6
    every: timedelta = timedelta(weeks=1)

    def __post_init__(self) -> None:
        if self.first_appointment.tzinfo is None:
            raise ValueError("the first appointment must be timezone-aware")
        if not 1 <= self.appointments <= 52:
            raise ValueError("an example course has 1 to 52 appointments")

    def appointment_times(self) -> list[datetime]:
        return [self.first_appointment + n * self.every for n in range(self.appointments)]


def example_course(today: date, tz: ZoneInfo = OSLO, appointments: int = 6) -> ExampleCourse:
    """A patient registered today, first seen a week later at 10:00, then weekly (the same
    local time each week, across a DST change too)."""
    first_day = today + timedelta(days=7)
    return ExampleCourse(
        registered_on=today,
        first_appointment=local_to_utc(first_day, time(10, 0), tz),
        appointments=appointments,
    )


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
    tz: ZoneInfo = OSLO,
) -> list[DueInvitation]:
    """Every invitation the rules would create for the example course, in send order."""
    starts = _weekly_local(course, tz)
    appointments = [
        AppointmentSnapshot(id=n + 1, start=start, is_last=n == len(starts) - 1)
        for n, start in enumerate(starts)
    ]
    now = local_to_utc(course.registered_on, REGISTERED_AT, tz)
    until = max(starts[-1], now) + timedelta(days=1)
    episode = EpisodeSnapshot(id=PREVIEW_EPISODE_ID, starts_on=course.registered_on)
    return due_invitations(
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
