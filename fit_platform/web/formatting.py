"""Date formatting for pages with many dates (a pre-session view has hundreds).

Flask-Babel's `format_date` looks up the locale and time zone on every call; here they are
looked up once per request and each (value, format) pair is formatted once.
"""

from __future__ import annotations

import datetime as dt

from babel import dates
from flask import g
from flask_babel import get_locale, get_timezone


def format_date(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    """The date in the user's locale; a datetime is first moved to the service's time zone."""
    if value is None:
        return ""
    cache: dict[tuple[object, str], str] = g.setdefault("_formatted_dates", {})
    key = (value, fmt)
    if key not in cache:
        if "_date_context" not in g:
            g._date_context = (get_locale(), get_timezone())
        locale, zone = g._date_context
        if isinstance(value, dt.datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            value = aware.astimezone(zone)
        cache[key] = dates.format_date(value, fmt, locale=locale)
    return cache[key]
