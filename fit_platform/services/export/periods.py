"""Months and quarters: the range widened to whole periods, and the period key in SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    cast,
    func,
    literal,
    literal_column,
    type_coerce,
)

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
    return period_label(dialect, period_start(dialect, column, period), period)


def period_start(dialect: str, column: Any, period: Period) -> ColumnElement[Any]:
    """The period a UTC timestamp column falls in, as something cheap to group by.

    On PostgreSQL the start of the period (``date_trunc``): formatting it with ``to_char`` for
    each of millions of rows cost more than the grouping itself, so the label is made once
    per group by :func:`period_label`. On SQLite the label itself (its date functions return
    text anyway)."""
    if dialect == "postgresql":
        # Constants written into the SQL (both are from fixed sets), not bound parameters:
        # PostgreSQL only sees the grouped expression and the selected one as the same when
        # they are written the same.
        if period not in PERIODS:
            raise ValueError(f"unknown period {period!r}")
        unit: ColumnElement[str] = literal_column(f"'{period}'")
        return func.date_trunc(unit, func.timezone(literal_column("'UTC'"), column))
    return _sqlite_label(column, period)


def quarter_of_month(dialect: str, month: Any) -> ColumnElement[Any]:
    """The quarter of a value of :func:`period_start` by month, as :func:`period_start` by
    quarter gives it: the export groups by month and by quarter in one statement."""
    if dialect == "postgresql":
        return func.date_trunc(literal_column("'quarter'"), month)
    number = cast(func.substr(month, 6, 2), Integer)
    quarter = cast((number + 2) / 3, Integer)  # 1..4; the cast truncates
    return type_coerce(func.substr(month, 1, 5), String) + literal("Q") + cast(quarter, String)


def quarter_of(month: str) -> str:
    """'2026-Q3' for '2026-08'."""
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def period_label(dialect: str, start: Any, period: Period) -> ColumnElement[str]:
    """'2026-03' or '2026-Q1' for a value of :func:`period_start`."""
    if dialect == "postgresql":
        pattern = "YYYY-MM" if period == "month" else 'YYYY-"Q"Q'
        return func.to_char(start, pattern, type_=String)
    return type_coerce(start, String)


def _sqlite_label(column: Any, period: Period) -> ColumnElement[str]:
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


def whole_quarters_before(today: dt.date, count: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the `count` whole quarters that end with the last whole
    quarter before ``today``: the pages' default ranges, which leave out the quarter still
    filling up so that a quarter's figures match on every page that shows it."""
    first, last = previous_period("quarter", today)
    months = first.year * 12 + first.month - 1 - 3 * (count - 1)
    return dt.date(months // 12, months % 12 + 1, 1), last


def period_containing(period: Period, day: dt.date) -> str:
    """The key of the month or quarter ``day`` is in ('2026-12' or '2026-Q4'); of today, the
    period not over yet, whose figures are those so far."""
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
