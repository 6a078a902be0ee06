"""Which appointment times the platform accepts: from 2 years back to 5 years ahead of now.

A date outside that range is a typing or export error (year 0001 or 9999), never a real
appointment, and such a date crashed the conversion to UTC and then every scheduler tick that
planned invitations around it. The same range holds for typed-in, moved and imported
appointments. Back far enough to record a past course of treatment, ahead far enough for any
booking a clinic makes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

YEARS_BACK = 2
YEARS_AHEAD = 5
EARLIEST = dt.timedelta(days=365 * YEARS_BACK)
LATEST = dt.timedelta(days=365 * YEARS_AHEAD + 1)  # one leap day in any five years


def is_accepted_time(starts_at: dt.datetime, now: dt.datetime) -> bool:
    """True when an aware `starts_at` lies within the accepted range around `now`."""
    return now - EARLIEST <= starts_at <= now + LATEST


def is_accepted_day(day: dt.date, today: dt.date) -> bool:
    """The same range on local dates, checked before a date is turned into a UTC time (a date
    in year 1 or 9999 cannot always be converted)."""
    return today - EARLIEST <= day <= today + LATEST


class NonexistentLocalTime(ValueError):
    """A local wall-clock time inside the spring DST gap (in Oslo 29.03.2026 02:00-03:00 does
    not exist). `gap_start` and `gap_end` are the local wall times the clocks jump between."""

    def __init__(self, wall: dt.datetime, gap_start: dt.time, gap_end: dt.time) -> None:
        super().__init__(f"{wall.isoformat()} does not exist in this time zone")
        self.wall = wall
        self.gap_start = gap_start
        self.gap_end = gap_end


def _exists(wall: dt.datetime, zone: ZoneInfo) -> bool:
    """A wall time exists when it survives the round trip through UTC."""
    back = wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC).astimezone(zone)
    return back.replace(tzinfo=None) == wall


def local_to_utc(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a naive local appointment time in `zone`.

    A time in the spring gap raises `NonexistentLocalTime` (it used to be moved silently an hour
    on). An ambiguous autumn time (02:00-02:59 on the last Sunday of October in Oslo) is read as
    its first occurrence, summer time (`fold=0`): the earlier of the two, so a questionnaire
    planned before it is never late.
    """
    if _exists(wall, zone):
        return wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    start = wall.replace(second=0, microsecond=0)
    while not _exists(start - dt.timedelta(minutes=1), zone):
        start -= dt.timedelta(minutes=1)
    jump = wall.replace(tzinfo=zone, fold=1).utcoffset() or dt.timedelta()
    jump = (wall.replace(tzinfo=zone, fold=0).utcoffset() or dt.timedelta()) - jump
    end = start + abs(jump)
    raise NonexistentLocalTime(wall, start.time(), end.time())


# A session between 21:00 and 07:00 (clinic time) is almost always a typing or export mistake
# ("03:00" for "13:00"); it is saved as given, since a night session can be real, but the
# therapist is asked to check it: every questionnaire of the appointment is planned from its
# time. Typed in, moved and imported alike.
NIGHT_FROM, NIGHT_UNTIL = dt.time(21, 0), dt.time(7, 0)


def is_night(local_time: dt.time) -> bool:
    """True for a clinic-time time of day from 21:00 to before 07:00."""
    return not NIGHT_UNTIL <= local_time < NIGHT_FROM
