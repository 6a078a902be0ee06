"""Quiet hours: local times at which no message may leave, and moving a send out of them.

All inputs and outputs are timezone-aware UTC datetimes; the local wall clock
(the service's zone, `FIT_TIMEZONE`, given by the caller) is only used to decide what is
quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """No message from `start` (inclusive) to `end` (exclusive), local time.

    `start > end` spans midnight (the default 21:00–08:00); `start == end` means
    no quiet hours at all.
    """

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains_local(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def contains(self, at: datetime, tz: ZoneInfo) -> bool:
        return self.contains_local(at.astimezone(tz).time().replace(tzinfo=None))


DEFAULT_QUIET_HOURS = QuietHours()


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time.

    A time that does not exist (the spring-forward gap) is read with the offset in
    force before the gap, i.e. it lands just after the gap; an ambiguous autumn time
    takes its first occurrence (fold=0).
    """
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def next_send_time(
    at: datetime, quiet: QuietHours = DEFAULT_QUIET_HOURS, *, tz: ZoneInfo
) -> datetime:
    """The earliest instant at or after `at` that is outside quiet hours."""
    _require_aware(at)
    at = at.astimezone(UTC)
    if not quiet.contains(at, tz):
        return at
    local = at.astimezone(tz)
    end_day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        end_day += timedelta(days=1)
    candidate = local_to_utc(end_day, quiet.end, tz)
    # Quiet end inside a DST gap: step forward minute by minute (at most an hour).
    while quiet.contains(candidate, tz) or candidate < at:
        candidate += timedelta(minutes=1)
    return candidate


def latest_send_time_before(
    at: datetime, quiet: QuietHours = DEFAULT_QUIET_HOURS, *, tz: ZoneInfo
) -> datetime:
    """The latest instant at or before `at` outside quiet hours (one minute before
    quiet hours begin when `at` is quiet)."""
    _require_aware(at)
    at = at.astimezone(UTC)
    if not quiet.contains(at, tz):
        return at
    local = at.astimezone(tz)
    start_day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) < quiet.end:
        start_day -= timedelta(days=1)
    candidate = local_to_utc(start_day, quiet.start, tz) - timedelta(minutes=1)
    while quiet.contains(candidate, tz) or candidate > at:
        candidate -= timedelta(minutes=1)
    return candidate


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
