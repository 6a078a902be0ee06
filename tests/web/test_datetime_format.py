"""A date and time on the staff pages (`datetimeformat`) is the text Babel writes, in every
language and across both clock changes, though the short and medium formats are now put
together from the kept date of the day and the kept clock time (eighth round of issue 15)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from babel import dates
from flask import Flask
from flask_babel import force_locale, get_timezone

from fit_platform.web.formatting import format_datetime, formatting_locale

NEW_YORK = ZoneInfo("America/New_York")


def _moments() -> list[dt.datetime]:
    days = [
        dt.datetime(2026, 3, 28, 21, tzinfo=dt.UTC),  # summer time from 01:00 UTC on the 29th
        dt.datetime(2026, 10, 24, 21, tzinfo=dt.UTC),  # winter time from 01:00 UTC on the 25th
        dt.datetime(2026, 12, 31, 21, tzinfo=dt.UTC),  # the year changes in Oslo first
    ]
    return [day + dt.timedelta(minutes=7 * n, seconds=n % 60) for day in days for n in range(70)]


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long"])
def test_a_date_and_time_is_the_text_babel_writes_in_the_service_time_zone(
    app: Flask, language: str, fmt: str
) -> None:
    with app.test_request_context("/"), force_locale(language):
        zone, locale = get_timezone(), formatting_locale()
        for moment in _moments():
            expected = dates.format_datetime(moment.astimezone(zone), fmt, locale=locale)
            assert format_datetime(moment, fmt) == expected, moment
            # Asked again (the day and the clock time now kept), the same text.
            assert format_datetime(moment, fmt) == expected, moment
            # A time stored without a zone is UTC, as before; one in another zone is moved.
            assert format_datetime(moment.replace(tzinfo=None), fmt) == expected, moment
            assert format_datetime(moment.astimezone(NEW_YORK), fmt) == expected, moment


def test_the_short_format_is_the_one_the_pages_show(app: Flask) -> None:
    moment = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 02:30 summer time in Oslo
    with app.test_request_context("/"):
        with force_locale("nb"):
            assert format_datetime(moment, "short") == "25.10.2026, 02:30"
        with force_locale("en"):
            assert format_datetime(moment, "short") == "25/10/2026, 02:30"
    assert format_datetime(None) == ""
