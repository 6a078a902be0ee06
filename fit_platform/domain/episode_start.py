"""Which start-of-treatment dates registration accepts: from 30 years back to 1 year ahead.

A course of treatment registered late can have started long ago (a patient in a long-running
programme, records moved from another system), so the range goes far back; a start more than
a year ahead is not planned care. Outside the range the date is a typing error (1900, 2099)
that would date the episode wrongly in every list, chart and report.
"""

from __future__ import annotations

import datetime as dt

YEARS_BACK = 30
YEARS_AHEAD = 1


def _years_from(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def is_accepted_start(started_on: dt.date, today: dt.date) -> bool:
    """True when ``started_on`` lies from YEARS_BACK years before ``today`` to YEARS_AHEAD after."""
    return _years_from(today, -YEARS_BACK) <= started_on <= _years_from(today, YEARS_AHEAD)
