"""Which appointment times the platform accepts: from 2 years back to 5 years ahead of now.

A date outside that range is a typing or export error (year 0001 or 9999), never a real
appointment, and such a date crashed the conversion to UTC and then every scheduler tick that
planned invitations around it. The same range holds for typed-in, moved and imported
appointments. Back far enough to record a past course of treatment, ahead far enough for any
booking a clinic makes.
"""

from __future__ import annotations

import datetime as dt

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
