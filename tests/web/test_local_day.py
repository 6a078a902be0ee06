"""The chart's and tables' dates: the local day of a stored UTC time, across the clock changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fit_platform.web.formatting import _local_day

OSLO = ZoneInfo("Europe/Oslo")


def _moments(day: dt.date) -> list[dt.datetime]:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) - dt.timedelta(hours=3)
    return [start + dt.timedelta(minutes=7 * n) for n in range(30 * 60 // 7)]


def test_the_local_day_is_the_zones_day_on_ordinary_days_and_both_clock_changes() -> None:
    local_day = _local_day(OSLO)
    days = [
        dt.date(2026, 3, 28),
        dt.date(2026, 3, 29),  # summer time from 01:00 UTC
        dt.date(2026, 6, 30),
        dt.date(2026, 10, 25),  # winter time from 01:00 UTC
        dt.date(2026, 12, 31),
    ]
    for day in days:
        for moment in _moments(day):
            assert local_day(moment) == moment.astimezone(OSLO).date(), moment
            # Asked twice (the second time from the kept offset), the same answer.
            assert local_day(moment) == moment.astimezone(OSLO).date(), moment


def test_a_moment_in_another_zone_or_without_one_is_converted_as_before() -> None:
    local_day = _local_day(OSLO)
    new_york = dt.datetime(2026, 3, 28, 20, 30, tzinfo=ZoneInfo("America/New_York"))
    assert local_day(new_york) == dt.date(2026, 3, 29)
    naive_utc = dt.datetime(2026, 10, 24, 22, 30)
    assert local_day(naive_utc) == dt.date(2026, 10, 25)
    assert local_day(dt.datetime(2026, 10, 24, 21, 30, tzinfo=dt.UTC)) == dt.date(2026, 10, 24)
