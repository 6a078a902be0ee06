"""Date formatting for pages with many dates (a pre-session view has hundreds).

Flask-Babel's `format_date` looks up the locale and time zone on every call and asks Babel to
format each date anew. Here the locale and zone are looked up once per request, and a
formatted date is kept for the process: it depends only on the calendar day (in the service's
time zone), the format and the language, and the same few hundred days recur on every
patient's history.
"""

from __future__ import annotations

import datetime as dt
import functools

from babel import Locale, dates
from flask import g
from flask_babel import get_locale, get_timezone


def format_date(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    """The date in the user's locale; a datetime is first moved to the service's time zone."""
    if value is None:
        return ""
    context = g.get("_date_context")
    if context is None:
        context = g._date_context = (get_locale(), get_timezone())
    locale, zone = context
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        value = aware.astimezone(zone).date()
    return _formatted(value, fmt, locale)


@functools.lru_cache(maxsize=8192)  # a few years of days, in three languages and two formats
def _formatted(day: dt.date, fmt: str, locale: Locale | None) -> str:
    return dates.format_date(day, fmt, locale=locale)
