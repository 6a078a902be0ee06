"""Medians in SQL that come out exactly as Python's ``statistics.median`` gives them.

The database returns the two middle values of each group (the same value when the count is
odd) as whole microseconds, and :func:`median_hours` takes their mean in Python, which is
what ``statistics.median`` does with the sorted list. So the export's medians are the same,
bit for bit, on PostgreSQL and SQLite and as they were when every signal was read into Python.

Why not ``percentile_cont(0.5)`` on PostgreSQL: it interpolates as ``low + 0.5 * (high - low)``
in floating point, which can differ from ``(low + high) / 2`` in the last bit, and a figure
rounded to a tenth of an hour then differs where the true value is halfway between two
tenths. ``percentile_disc(0.5)`` in ascending and in descending order gives the two middle
values themselves. SQLite has no ordered-set aggregates: each value is ranked within its group
by a window, and the rows at the middle ranks are picked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, case, cast, extract, func, select


def microseconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    """Whole microseconds from ``start`` to ``end`` (NULL when either is NULL), exact."""
    if dialect == "postgresql":
        # Seconds since the epoch are numeric (exact) on PostgreSQL 14 and later.
        seconds = extract("epoch", end) - extract("epoch", start)
        return cast(func.round(seconds * 1_000_000), BigInteger)
    # SQLite keeps SQLAlchemy's text 'YYYY-MM-DD HH:MM:SS.ffffff', and its date functions
    # only count milliseconds: whole seconds from strftime, microseconds from the text.
    whole = cast(func.strftime("%s", end), Integer) - cast(func.strftime("%s", start), Integer)
    fraction = cast(func.substr(end, 21, 6), Integer) - cast(func.substr(start, 21, 6), Integer)
    return whole * 1_000_000 + fraction


def middle_values(
    dialect: str, table: Any, names: Sequence[str], group: Sequence[str]
) -> tuple[Any, list[ColumnElement[Any]]]:
    """What to select from, and per named column its lower and upper middle value in each
    group of ``group`` (labelled ``<name>_low`` and ``<name>_high``; NULL when the group
    has no value). The caller groups by ``group`` columns of the returned selectable."""
    if dialect == "postgresql":
        middles: list[ColumnElement[Any]] = []
        for name in names:
            value = table.c[name]
            middles.append(func.percentile_disc(0.5).within_group(value).label(f"{name}_low"))
            middles.append(
                func.percentile_disc(0.5).within_group(value.desc()).label(f"{name}_high")
            )
        return table, middles
    partition = [table.c[key] for key in group]
    windows = []
    for name in names:
        value = table.c[name]
        windows.append(
            func.row_number()
            .over(partition_by=partition, order_by=(value.is_(None), value))
            .label(f"{name}_rank")
        )
        windows.append(func.count(value).over(partition_by=partition).label(f"{name}_count"))
    ranked = select(*table.c, *windows).subquery()
    middles = []
    for name in names:
        value, rank, count = (ranked.c[f"{name}{part}"] for part in ("", "_rank", "_count"))
        # Ranks 1..count: the middle is rank (count + 1) // 2 and rank count // 2 + 1, the
        # same rank when count is odd. Values without one (NULL) are ranked last.
        middles.append(func.max(case((rank == (count + 1) // 2, value))).label(f"{name}_low"))
        middles.append(func.max(case((rank == count // 2 + 1, value))).label(f"{name}_high"))
    return ranked, middles


def median_hours(low: int | None, high: int | None) -> float | None:
    """The median in hours from the two middle values in microseconds, as
    ``statistics.median`` gives it for the list of hours (each turned into hours as
    ``(end - start).total_seconds() / 3600``; for an odd count both are the one middle value,
    and ``(h + h) / 2 == h``)."""
    if low is None or high is None:
        return None
    return (_hours(low) + _hours(high)) / 2


def _hours(microseconds: int) -> float:
    return int(microseconds) / 10**6 / 3600
