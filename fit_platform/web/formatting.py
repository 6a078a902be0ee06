"""Dates, times and numbers as people in Norway (and British English) write them.

Pages are written in nb, nn or en; dates and numbers follow the same choice, except that
English uses British conventions (en_GB: 2 December 2026, 14:30, day before month) instead of
Babel's default US English, which a Norwegian clinic's English readers would not expect.

A pre-session view formats hundreds of dates. Flask-Babel keeps the request's locale and time
zone once looked up (and forgets them on `refresh()`, when a patient's language is set), so
asking for them per call is cheap; a formatted date is kept for the process, as it depends only
on the calendar day (in the service's time zone), the format and the locale, and the same few
hundred days recur on every patient's history; a formatted number is kept for the process
too. Times and date-times are kept per request.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Hashable
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers
from flask import g
from flask_babel import get_locale, get_timezone

# The catalog stays `en`; only the formatting conventions are British.
FORMATTING_LOCALES = {"en": "en_GB"}


def formatting_locale() -> Locale:
    """The locale dates and numbers are formatted in for this request."""
    return _locale_for(str(get_locale() or "nb"))


@functools.lru_cache(maxsize=16)
def _locale_for(language: str) -> Locale:
    return Locale.parse(FORMATTING_LOCALES.get(language, language))


def _local(value: dt.datetime) -> dt.datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(get_timezone())


def _cached(kind: str, value: object, fmt: str, make: object) -> str:
    cache: dict[tuple[str, object, str, Locale], str] = g.setdefault("_formatted_values", {})
    key = (kind, value, fmt, formatting_locale())
    if key not in cache:
        cache[key] = make()  # type: ignore[operator]
    return cache[key]


def format_date(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    """The date in the user's locale; a datetime is first moved to the service's time zone."""
    if value is None:
        return ""
    day = _local(value).date() if isinstance(value, dt.datetime) else value
    return _formatted_date(day, fmt, formatting_locale())


@functools.lru_cache(maxsize=8192)  # a few years of days, in three languages and two formats
def _formatted_date(day: dt.date, fmt: str, locale: Locale) -> str:
    return dates.format_date(day, fmt, locale=locale)


def date_formatter(fmt: str = "medium") -> Callable[[dt.date | dt.datetime], str]:
    """`format_date` with this request's locale and time zone looked up once, for a page that
    formats hundreds of dates (each look-up goes through Flask-Babel's request context)."""
    return _day_formatter(fmt, formatting_locale(), _fast_zone(str(get_timezone())))


_DAYS_KEPT = 8192  # a few years of days per format and language
K = TypeVar("K", bound=Hashable)


@functools.lru_cache(maxsize=32)  # per format, language and zone: a handful
def _day_formatter(
    fmt: str, locale: Locale, zone: dt.tzinfo
) -> Callable[[dt.date | dt.datetime], str]:
    """One formatter per process for a format, locale and zone, with its own store of formatted
    days: the shared store's key hashes the Babel locale on every call (a Python-level hash),
    which a chart of a hundred points paid per point. Bounded: emptied when it fills up."""
    day_text = _kept(lambda day: _formatted_date(day, fmt, locale), _DAYS_KEPT)
    local_day = _local_day(zone)

    def formatted(value: dt.date | dt.datetime) -> str:
        if isinstance(value, dt.datetime):
            value = local_day(value)
        return day_text(value)

    return formatted


_SHIFTS_KEPT = 8192  # UTC days: decades


def _local_day(zone: dt.tzinfo) -> Callable[[dt.datetime], dt.date]:
    """The calendar day in `zone` of a moment. The stored times come back in UTC, and moving
    one to the zone (`astimezone`) costs about twice a shift by a known offset (a chart has
    a hundred points): on a UTC day with no change of the zone's offset, the local day is the
    day of the moment shifted by that offset. The offset is worked out once per UTC day and
    kept (bounded: emptied when full); a day with a change, or a moment not in UTC, is
    converted as before."""
    shifts: dict[dt.date, dt.timedelta | None] = {}
    one_day = dt.timedelta(days=1, microseconds=-1)

    def shift_on(day: dt.date) -> dt.timedelta | None:
        start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        first = start.astimezone(zone).utcoffset()
        last = (start + one_day).astimezone(zone).utcoffset()
        return first if first == last else None

    def local_day(value: dt.datetime) -> dt.date:
        if value.tzinfo is dt.UTC:
            day = value.date()
            try:
                shift = shifts[day]
            except KeyError:
                if len(shifts) >= _SHIFTS_KEPT:
                    shifts.clear()
                shift = shifts[day] = shift_on(day)
            if shift is not None:
                return (value + shift).date()
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(zone).date()

    return local_day


def _kept(compute: Callable[[K], str], limit: int) -> Callable[[K], str]:
    """`compute` with its results kept in a plain dict, emptied when it holds `limit`: a dict
    look-up, where `functools.lru_cache` would hash every argument again (the locale's hash is
    Python code)."""
    kept: dict[K, str] = {}

    def look_up(key: K) -> str:
        text = kept.get(key)
        if text is None:
            if len(kept) >= limit:
                kept.clear()
            text = kept[key] = compute(key)
        return text

    return look_up


@functools.lru_cache(maxsize=8)
def _fast_zone(name: str) -> dt.tzinfo:
    """The service's zone (Flask-Babel hands out pytz's) as the standard library's ZoneInfo:
    the same rules, and a conversion a few times cheaper, which a page of hundreds of dates
    notices."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone: dt.tzinfo | None = get_timezone()  # a pytz zone, which is untyped
        assert zone is not None, "Flask-Babel has a time zone in every request"
        return zone


def number_formatter(digits: int = 1) -> Callable[[float], str]:
    """`format_number` with this request's locale looked up once."""
    return _number_formatter(digits, formatting_locale())


@functools.lru_cache(maxsize=16)  # per precision and language: a handful
def _number_formatter(digits: int, locale: Locale) -> Callable[[float], str]:
    """One formatter per process for a precision and locale, with its own store (as
    `_day_formatter`: no locale hashed per number). Bounded: emptied when it fills up."""
    number_text = _kept(lambda value: _formatted_number(value, digits, locale), _NUMBERS_KEPT)

    def formatted(value: float) -> str:
        return number_text(round(value, digits))

    return formatted


_NUMBERS_KEPT = 8192


def format_datetime(value: dt.datetime | None, fmt: str = "medium") -> str:
    """Date and time in the service's time zone (24-hour clock in every language we offer)."""
    if value is None:
        return ""
    return _datetime_formatter(fmt, formatting_locale(), _fast_zone(str(get_timezone())))(value)


# Time patterns whose text depends on more than the clock time (fractions of a second, zone
# names and offsets, day periods): those go through Babel whole.
_NOT_CLOCK_ONLY = frozenset("SAzZvVOXxBb")
# Per format: the date's format and the clock time's. "day_and_time" is a date with the month's
# name and a time without seconds ("3 Dec 2026, 14:30"): the patient's pages write every
# moment so, in the date style of their score tables, not as 03/12/2026 beside 14 Aug 2026.
_CLOCK_FORMATS: dict[str, tuple[str, Literal["short", "medium"]]] = {
    "short": ("short", "short"),
    "medium": ("medium", "medium"),
    "day_and_time": ("medium", "short"),
}
_CLOCK_TIMES_KEPT = 4096


@functools.lru_cache(maxsize=32)  # per format, language and zone: a handful
def _datetime_formatter(fmt: str, locale: Locale, zone: dt.tzinfo) -> Callable[[dt.datetime], str]:
    """Babel's `format_datetime` in `zone`, built once per process for a format and locale. A
    view shows a dozen moments, each once, so a store of formatted moments would help only
    the next open of the same patient; Babel's own call costs about 20 µs, most of it the
    pattern machinery for the date and for the time. The same text is put together as Babel
    does (the locale's date-time pattern with the time for {0} and the date for {1}) from the
    date of the local day, kept per process as `format_date` keeps it, and the clock time,
    kept per hour, minute and second: both recur across patients. A format whose time
    pattern shows more than the clock time goes through Babel each time."""

    formats = _CLOCK_FORMATS.get(fmt)
    if formats is None:
        return lambda value: dates.format_datetime(_local(value), fmt, locale=locale)
    date_fmt, kind = formats
    joined = str(dates.get_datetime_format(kind, locale=locale)).replace("'", "")

    def with_babel(value: dt.datetime) -> str:
        local = _local(value)
        return joined.replace("{0}", dates.format_time(local, kind, locale=locale)).replace(
            "{1}", dates.format_date(local.date(), date_fmt, locale=locale)
        )

    if _NOT_CLOCK_ONLY & set(dates.get_time_format(kind, locale=locale).pattern):
        return with_babel

    def clock(hms: tuple[int, int, int]) -> str:
        return dates.format_time(dt.time(*hms), kind, tzinfo=None, locale=locale)

    clock_text = _kept(clock, _CLOCK_TIMES_KEPT)

    def formatted(value: dt.datetime) -> str:
        local = _in_zone(value, zone)
        clock = clock_text((local.hour, local.minute, local.second))
        return joined.replace("{0}", clock).replace(
            "{1}", _formatted_date(local.date(), date_fmt, locale)
        )

    return formatted


def _in_zone(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone)


def format_time(value: dt.datetime | dt.time | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    moment = _local(value) if isinstance(value, dt.datetime) else value
    return _cached(
        "time", value, fmt, lambda: dates.format_time(moment, fmt, locale=formatting_locale())
    )


def format_number(value: float | None, digits: int = 1) -> str:
    """A score or other figure with a decimal comma in nb and nn and at most `digits` decimals,
    without trailing zeros: 2,8 and 10 (not 2.82 and 10.0)."""
    if value is None:
        return ""
    return _formatted_number(round(value, digits), digits, formatting_locale())


# Scores, band limits and cut-offs: a few hundred distinct values per instrument, formatted
# hundreds of times on one pre-session view, and Babel parses the pattern on every call.
@functools.lru_cache(maxsize=8192)
def _formatted_number(value: float, digits: int, locale: Locale) -> str:
    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return numbers.format_decimal(value, pattern, locale=locale)
