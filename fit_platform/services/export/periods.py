"""Months and quarters: the range widened to whole periods, and the period key in SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, String, cast, func, literal

Period = Literal["month", "quarter"]
PERIODS: tuple[Period, ...] = ("month", "quarter")


def period_bounds(period: Period, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The range widened to whole periods: [first day of start's period, day after end's)."""
    months = 1 if period == "month" else 3
    first = dt.date(start.year, (start.month - 1) // months * months + 1, 1)
    last_month = (end.month - 1) // months * months + months  # 1..12, last month of the period
    after = dt.date(end.year + last_month // 12, last_month % 12 + 1, 1)
    return (
        dt.datetime.combine(first, dt.time(), dt.UTC),
        dt.datetime.combine(after, dt.time(), dt.UTC),
    )


def period_key(dialect: str, column: Any, period: Period) -> ColumnElement[str]:
    """'2026-03' or '2026-Q1' for a UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        pattern = "YYYY-MM" if period == "month" else 'YYYY-"Q"Q'
        return func.to_char(utc, pattern, type_=String)
    if period == "month":
        return func.strftime("%Y-%m", column, type_=String)
    month = cast(func.strftime("%m", column), Integer)
    quarter = cast((month + 2) / 3, Integer)  # 1..4; the cast truncates
    return func.strftime("%Y", column, type_=String) + literal("-Q") + cast(quarter, String)


def previous_period(period: Period, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last whole month or quarter before the one ``today`` is in (for scheduled exports)."""
    months = 1 if period == "month" else 3
    current_first = dt.date(today.year, (today.month - 1) // months * months + 1, 1)
    last_day = current_first - dt.timedelta(days=1)
    first = dt.date(last_day.year, (last_day.month - 1) // months * months + 1, 1)
    return first, last_day
