"""Comments patients send "to the service only": read per unit and quarter, counted in exports.

A ``ServiceFeedback`` row has a unit, a programme, a questionnaire, the text and the month it
was written in; nothing links it to a patient, an episode, a response or a time of day. Service
developers and administrators read them per unit and quarter (the export pages refuse anyone
who also holds a clinical role, so a therapist can never match a text to a patient). The page
shows the quarter only, never the month, and lists the texts in alphabetical order, so their
order tells nothing about when they were written. Exports never carry the text: they count the
comments per unit, programme and period (:func:`comment_counts`), with small cells hidden.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import ServiceFeedback

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def quarter_of(month: str) -> str:
    """'2026-05' → '2026-Q2'."""
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def quarter_of_date(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def is_quarter(value: str) -> bool:
    return bool(QUARTER.match(value or ""))


def months_of(quarter: str) -> tuple[str, str, str]:
    """'2026-Q2' → ('2026-04', '2026-05', '2026-06'); ValueError for anything else."""
    match = QUARTER.match(quarter or "")
    if match is None:
        raise ValueError("not a quarter like 2026-Q2")
    year, number = match.group(1), int(match.group(2))
    first = (number - 1) * 3 + 1
    return (f"{year}-{first:02d}", f"{year}-{first + 1:02d}", f"{year}-{first + 2:02d}")


@dataclass(frozen=True)
class ServiceComment:
    """What the reading page shows: the words and the questionnaire, nothing about who or when."""

    text: str
    instrument_id: str


def service_comments(db: Database, unit_id: int, quarter: str) -> list[ServiceComment]:
    """The comments sent to the service from ``unit_id`` in ``quarter``, alphabetically.

    Read-only; for the export pages (service developers and administrators).
    """
    months = months_of(quarter)
    with db.session() as session:
        rows = session.execute(
            select(ServiceFeedback.text, ServiceFeedback.instrument_id).where(
                ServiceFeedback.unit_id == unit_id, ServiceFeedback.period.in_(months)
            )
        ).all()
    return sorted(
        (ServiceComment(text, instrument_id) for text, instrument_id in rows),
        key=lambda comment: (comment.text.casefold(), comment.instrument_id),
    )


def quarters_with_comments(db: Database) -> list[str]:
    """Every quarter in which any unit received a comment, newest first."""
    with db.session() as session:
        months = session.scalars(select(ServiceFeedback.period).distinct()).all()
    return sorted({quarter_of(month) for month in months}, reverse=True)


def comment_counts(
    session: Session,
    *,
    period: Literal["month", "quarter"],
    since: dt.datetime,
    until: dt.datetime,
    unit_id: int | None = None,
) -> list[tuple[int, int | None, str, int]]:
    """(unit id, programme id, period key, count) of the comments in [since, until).

    Comments are dated by the month they were written in (clinic time), so the range is taken
    by month; the period key is '2026-06' or '2026-Q2' like the export's other figures.
    One query.
    """
    first = since.strftime("%Y-%m")
    after = until.strftime("%Y-%m")
    stmt = (
        select(ServiceFeedback.unit_id, ServiceFeedback.programme_id, ServiceFeedback.period)
        .add_columns(func.count())
        .where(ServiceFeedback.period >= first, ServiceFeedback.period < after)
        .group_by(ServiceFeedback.unit_id, ServiceFeedback.programme_id, ServiceFeedback.period)
    )
    if unit_id is not None:
        stmt = stmt.where(ServiceFeedback.unit_id == unit_id)
    counts: Counter[tuple[int, int | None, str]] = Counter()
    for unit, programme, month, count in session.execute(stmt):
        key = month if period == "month" else quarter_of(month)
        counts[(unit, programme, key)] += count
    return [(unit, programme, key, count) for (unit, programme, key), count in counts.items()]
