"""The six set-based queries behind the export, one read-only session (the SQL itself is in
:mod:`.statements`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from fit_platform.db import Database
from fit_platform.db.models import Programme, Unit
from fit_platform.domain.instruments import Instrument, Kind, default_instruments
from fit_platform.services.export.assemble import assemble, tally_outcomes
from fit_platform.services.export.periods import PERIODS, Period, period_bounds
from fit_platform.services.export.rows import AggregateRow
from fit_platform.services.export.signals import tally_signals
from fit_platform.services.export.statements import (
    Range,
    alliance_levels,
    invitation_levels,
    outcome_episodes,
    signal_rows,
)
from fit_platform.services.service_comments import comment_counts


def export_instruments() -> tuple[list[Instrument], list[Instrument]]:
    # Test instruments (`demo` in their file) carry no clinical meaning: never exported.
    library = sorted((i for i in default_instruments().values() if not i.demo), key=lambda i: i.id)
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
) -> list[AggregateRow]:
    """Suppressed aggregates per unit, programme and period between ``start`` and ``end``.

    The range is widened to whole periods (UTC calendar months or quarters). Read-only.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    if end < start:
        raise ValueError("end before start")
    since, until = period_bounds(period, start, end)
    outcome_instruments, alliance_instruments = export_instruments()
    outcome_ids = [i.id for i in outcome_instruments]
    alliance_ids = [i.id for i in alliance_instruments]

    r = Range(db.dialect, period, since, until, unit_id)
    # Rows are read a few thousand at a time: outcomes and signals are per episode, and
    # holding them all at once made memory grow with the history.
    streamed = {"yield_per": 5000}
    with db.session() as session:
        if db.dialect == "postgresql":
            # For this transaction only (one statement, so no extra round trip). A streamed
            # query is a cursor, which PostgreSQL plans for its first tenth by default (a plan
            # 6x slower here): the export reads every row. And no JIT compilation: over 5
            # million rows it cost 10 of the invitation query's 24 s and saved less
            # (benchmarks/bench_export_5m.py).
            session.execute(
                text(
                    "SELECT set_config('cursor_tuple_fraction', '1', true),"
                    " set_config('jit', 'off', true)"
                )
            )
        # 1. Invitations due in each period and the patients invited (and of those, who paused
        # or stopped feedback in the period), totalled in the database at every level.
        invitations = session.execute(invitation_levels(r)).all()
        # 2. Alliance scores: sum, number and patients, at every level.
        alliance = session.execute(alliance_levels(r, alliance_ids)).all()
        # 3. First and latest outcome score per episode and instrument, in patient order, and
        # 4. signals raised in the period: both tallied while they are read.
        outcome_rows = session.execute(
            outcome_episodes(r, outcome_ids).execution_options(**streamed)
        )
        change, paired = tally_outcomes(outcome_rows, outcome_instruments, unit_id is None)
        signals = session.execute(signal_rows(r).execution_options(**streamed))
        signal_tallies = tally_signals(signals, unit_id is None)

        # 5. Comments sent to the service only, counted (never their text).
        comments = comment_counts(session, period=period, since=since, until=until, unit_id=unit_id)

        # 6. Unit and programme names, in one query for both.
        units: dict[int, tuple[str, str]] = {}
        programmes: dict[int, tuple[str, str]] = {}
        for unit_row, programme_row in session.execute(
            select(Unit, Programme).outerjoin(Programme, Programme.unit_id == Unit.id)
        ):
            units[unit_row.id] = (unit_row.code, unit_row.name)
            if programme_row is not None:
                programmes[programme_row.id] = (programme_row.code, programme_row.name)

    return assemble(
        invitations=invitations,
        change=change,
        paired=paired,
        alliance=alliance,
        signals=signal_tallies,
        comments=comments,
        units=units,
        programmes=programmes,
        outcome_instruments=outcome_instruments,
        alliance_ids=alliance_ids,
        all_units=unit_id is None,
    )


def unit_id_for_code(db: Database, code: str) -> int | None:
    """The id of the unit with this code, or None."""
    with db.session() as session:
        return session.scalar(select(Unit.id).where(Unit.code == code))
