"""The six set-based queries behind the export, in two read-only sessions that PostgreSQL
runs at once (the SQL itself is in :mod:`.statements`)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fit_platform.config import default_zone
from fit_platform.db import Database
from fit_platform.db.models import Programme, Unit
from fit_platform.domain.instruments import Instrument, Kind, default_instruments
from fit_platform.services.export.assemble import assemble, level_key, tally_outcomes
from fit_platform.services.export.outcomes import OutcomeTally, PairedTally
from fit_platform.services.export.periods import PERIODS, Period, period_bounds
from fit_platform.services.export.rows import AggregateRow, Key
from fit_platform.services.export.signal_statement import signal_levels
from fit_platform.services.export.signals import SignalFigures, read_signal_levels
from fit_platform.services.export.sources import NOTHING_SUMMARISED, STATE_ID, Watermark
from fit_platform.services.export.statements import (
    Range,
    alliance_levels,
    invitation_levels,
    outcome_episodes,
)
from fit_platform.services.service_comments import comment_counts, held_back, quarter_of

# Per sort or hash of the export's transactions on PostgreSQL (each parallel worker has its
# own); enough that nothing spills to disk over 5 million invitations and responses.
EXPORT_WORK_MEM = "64MB"


def export_instruments() -> tuple[list[Instrument], list[Instrument]]:
    # Test instruments (`demo` in their file) carry no clinical meaning: never exported. Nor
    # are group forms (docs/groups.md): a unit's mean of a group form is the group's figure
    # across its sessions, which the group page keeps per closed session, small cells hidden.
    library = sorted(
        (i for i in default_instruments().values() if not i.demo and not i.is_group_form),
        key=lambda i: i.id,
    )
    return (
        [i for i in library if i.kind is Kind.OUTCOME],
        [i for i in library if i.kind is Kind.ALLIANCE],
    )


def service_aggregates(
    db: Database,
    *,
    period: Period,
    start: dt.date,
    end: dt.date,
    unit_id: int | None = None,
    zone: ZoneInfo | None = None,
) -> list[AggregateRow]:
    """Suppressed aggregates per unit, programme and period between ``start`` and ``end``.

    The range is widened to whole periods (UTC calendar months or quarters); by month, whole
    quarters are read and suppressed, and outcomes are counted up to the end of the last
    quarter, so a month's figures are the same in every range that includes it. Read-only.
    With ``unit_id`` only that unit's rows are returned, but which cells are hidden is always
    decided on the table of every unit: a unit's rows suppressed on their own would show a
    cell the all-units table hides to protect another unit, and subtracting it from the
    all-units totals would give that unit's small figures away. ``zone`` is the clinic's
    (``FIT_TIMEZONE``), whose quarters the comments page reads (the comment counts of units it
    holds back are hidden here too).
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    if end < start:
        raise ValueError("end before start")
    since, until = period_bounds(period, start, end)
    # Whole quarters are read by month and by quarter and suppressed together, and the
    # periods asked for picked out afterwards: a month hidden by itself could otherwise be
    # worked out from its quarter and the quarter's other months, and a quarter hidden to
    # protect another row added up from its months (docs/export.md, "Months and quarters").
    read_since, read_until = period_bounds("quarter", start, end)
    outcome_instruments, alliance_instruments = export_instruments()
    alliance_ids = [i.id for i in alliance_instruments]

    # Every unit is read and suppressed together (see above); a unit is picked afterwards.
    r = Range(db.dialect, "month", read_since, read_until, None, quarters=True)
    if db.dialect == "postgresql":
        # The two halves need no result of each other, so on PostgreSQL they run at once on
        # two connections: the server works on both (two CPUs) and Python tallies the
        # outcomes while the totals are counted. SQLite gains nothing from a second reader.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-totals") as pool:
            counted = pool.submit(_totals, db, r, alliance_ids)
            tallied = _tallies(db, r, outcome_instruments, zone or default_zone())
            invitations, alliance = counted.result()
    else:
        invitations, alliance = _totals(db, r, alliance_ids)
        tallied = _tallies(db, r, outcome_instruments, zone or default_zone())
    change, paired, signals, (comments, comments_held_back), units, programmes = tallied
    rows = assemble(
        invitations=invitations,
        change=change,
        paired=paired,
        alliance=alliance,
        signals=signals,
        comments=comments,
        comments_held_back=comments_held_back,
        units=units,
        programmes=programmes,
        outcome_instruments=outcome_instruments,
        alliance_ids=alliance_ids,
        by_month=True,
    )
    if period == "month":
        first, last = f"{since:%Y-%m}", f"{until - dt.timedelta(days=1):%Y-%m}"
        rows = [row for row in rows if "Q" not in row.period and first <= row.period <= last]
    else:
        rows = [row for row in rows if "Q" in row.period]
    if unit_id is None:
        return rows
    # One unit's rows: its programmes and its total, without the all-units total.
    code = units[unit_id][0] if unit_id in units else None
    return [row for row in rows if row.unit_code == code]


def _begin(session: Session, r: Range) -> Range:
    """The range as this transaction sees the summary (docs/export.md, "Summary of closed
    history"). On PostgreSQL, in one statement: a repeatable-read snapshot (so the summary
    and its watermark are read as of one moment, even while the scheduler rebuilds it), the
    watermark as values, and planner settings for this transaction only. A streamed query is
    a cursor, which PostgreSQL plans for its first tenth by default (a plan 6x slower here):
    the export reads every row. No JIT compilation: over 5 million rows it cost 10 of the
    invitation query's 24 s and saved less. And more memory for sorting and hashing than the
    4 MB default: with it, the per-patient groupings of 5 million invitations and the
    outcome rows were sorted and hashed on disk, in temporary files of 10-50 MB each. No
    parallel workers: the export already keeps two connections busy, and on two CPUs the
    workers only queued behind them (25.2 s with, 21.5 s without, the same CPU time)
    (benchmarks/bench_export_5m.py --explain; docs/export.md). Elsewhere each statement reads
    the watermark itself."""
    if session.get_bind().dialect.name != "postgresql":
        return r
    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    row = session.execute(
        text(
            "SELECT set_config('cursor_tuple_fraction', '1', true),"
            " set_config('jit', 'off', true),"
            " set_config('work_mem', :work_mem, true),"
            " set_config('max_parallel_workers_per_gather', '0', true),"
            " state.through, state.invitation_id_max, state.response_id_max"
            " FROM (SELECT 1) AS one"
            " LEFT JOIN export_summary_state AS state ON state.id = :state"
        ),
        {"state": STATE_ID, "work_mem": EXPORT_WORK_MEM},
    ).one()
    if row.through is None:
        return r.seen(Watermark(NOTHING_SUMMARISED, 0, 0))
    return r.seen(Watermark(row.through, row.invitation_id_max, row.response_id_max))


def _totals(db: Database, r: Range, alliance_ids: list[str]) -> tuple[list[Any], list[Any]]:
    """Invitations and alliance scores, totalled in the database at every level."""
    with db.session() as session:
        r = _begin(session, r)
        # Invitations due in each period and the patients invited (and of those, who paused
        # or stopped feedback in the period).
        invitations = list(session.execute(invitation_levels(r)).all())
        # Alliance scores: sum, number and patients.
        alliance = list(session.execute(alliance_levels(r, alliance_ids)).all())
    return invitations, alliance


Tallies = tuple[
    dict[tuple[Key, str], OutcomeTally],
    dict[Key, PairedTally],
    dict[Key, SignalFigures],
    tuple[list[tuple[int, int | None, str, int]], set[tuple[int, str]]],
    dict[int, tuple[str, str]],
    dict[int, tuple[str, str]],
]


def _tallies(
    db: Database, r: Range, outcome_instruments: list[Instrument], zone: ZoneInfo
) -> Tallies:
    """Outcomes (tallied while streamed), signals, comments (with the units and quarters whose
    texts the comments page holds back), and the unit and programme names."""
    outcome_ids = [i.id for i in outcome_instruments]
    with db.session() as session:
        r = _begin(session, r)
        # First and latest outcome score per episode and instrument, in patient order, read a
        # few thousand at a time and tallied while read: holding them all at once made memory
        # grow with the history.
        outcome_rows = session.execute(
            outcome_episodes(r, outcome_ids).execution_options(yield_per=5000)
        )
        change, paired = tally_outcomes(
            outcome_rows, outcome_instruments, True, quarters=r.quarters
        )
        # Signals raised in the period and how soon they were acted on, at every level.
        signals = read_signal_levels(session.execute(signal_levels(r)), level_key)
        # Comments sent to the service only, counted (never their text).
        comments = comment_counts(
            session, period=r.period, since=r.since, until=r.until, unit_id=r.unit_id
        )
        comments_held_back = held_back(
            session, {(unit, quarter_of(month)) for unit, _p, month, _n in comments}, zone
        )
        # Unit and programme names, in one query for both.
        units: dict[int, tuple[str, str]] = {}
        programmes: dict[int, tuple[str, str]] = {}
        for unit_row, programme_row in session.execute(
            select(Unit, Programme).outerjoin(Programme, Programme.unit_id == Unit.id)
        ):
            units[unit_row.id] = (unit_row.code, unit_row.name)
            if programme_row is not None:
                programmes[programme_row.id] = (programme_row.code, programme_row.name)
    return change, paired, signals, (comments, comments_held_back), units, programmes


def unit_id_for_code(db: Database, code: str) -> int | None:
    """The id of the unit with this code, or None."""
    with db.session() as session:
        return session.scalar(select(Unit.id).where(Unit.code == code))
