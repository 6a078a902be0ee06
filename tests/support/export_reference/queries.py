"""The seven set-based queries behind the export, one read-only session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from fit_platform.config import default_zone
from fit_platform.db import Database
from fit_platform.db.models import (
    ConsentEvent,
    Episode,
    Invitation,
    Programme,
    Response,
    Signal,
    Unit,
)
from fit_platform.domain.codes import ConsentEventKind, InvitationState, ResponseStatus
from fit_platform.domain.instruments import Instrument, Kind, default_instruments
from fit_platform.domain.signals import SignalCode
from fit_platform.services.export.periods import PERIODS, Period, period_bounds, period_key
from fit_platform.services.export.rows import NON_RESPONSE_REASONS, AggregateRow
from fit_platform.services.service_comments import comment_counts, held_back, quarter_of
from tests.support.export_reference.assemble import assemble, row_order, suppress


def export_instruments() -> tuple[list[Instrument], list[Instrument]]:
    # Test instruments (`demo` in their file) carry no clinical meaning: never exported.
    library = sorted((i for i in default_instruments().values() if not i.demo), key=lambda i: i.id)
    return (
        [i for i in library if i.kind is Kind.OUTCOME],
        [i for i in library if i.kind is Kind.ALLIANCE],
    )


def reference_aggregates(
    db: Database,
    *,
    period: Period,
    start: dt.date,
    end: dt.date,
    unit_id: int | None = None,
) -> list[AggregateRow]:
    """The export's rule for one unit: its rows from the table of every unit, hidden as
    there (docs/export.md, "One unit")."""
    # Whole quarters are read by month and by quarter and suppressed together, the periods
    # asked for picked out (docs/export.md, "Months and quarters").
    since, until = period_bounds("quarter", start, end)
    collected: list[Any] = []
    for read in PERIODS:
        _aggregates(
            db,
            period=read,
            start=since.date(),
            end=(until - dt.timedelta(days=1)).date(),
            collect=collected,
        )
    (months, counts), (quarters, quarter_counts) = collected
    months.update(quarters)
    for merged, more in zip(counts, quarter_counts, strict=True):
        merged.update(more)
    suppress(months, counts, export_instruments()[0], by_month=True)
    rows = sorted(months.values(), key=row_order)
    if period == "month":
        first, last = f"{start:%Y-%m}", f"{end:%Y-%m}"
        rows = [row for row in rows if "Q" not in row.period and first <= row.period <= last]
    else:
        rows = [row for row in rows if "Q" in row.period]
    if unit_id is None:
        return rows
    with db.session() as session:
        code = session.scalar(select(Unit.code).where(Unit.id == unit_id))
    return [row for row in rows if row.unit_code == code]


def _aggregates(
    db: Database,
    *,
    period: Period,
    start: dt.date,
    end: dt.date,
    unit_id: int | None = None,
    collect: list[Any] | None = None,
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

    def in_unit(stmt: Any) -> Any:
        return stmt if unit_id is None else stmt.where(Episode.unit_id == unit_id)

    with db.session() as session:
        dialect = db.dialect
        # 1. Invitations due in each period, per patient (so that unit and all-units totals count
        # each patient once).
        inv_period = period_key(dialect, Invitation.due_at, period)
        invitations = session.execute(
            in_unit(
                select(
                    Episode.unit_id,
                    Episode.programme_id,
                    inv_period,
                    Episode.patient_id,
                    func.count(Invitation.sent_at),
                    func.count(Invitation.id).filter(Invitation.state == InvitationState.COMPLETED),
                    func.count(Invitation.id).filter(Invitation.state == InvitationState.EXPIRED),
                    func.count(Invitation.id).filter(Invitation.state == InvitationState.DECLINED),
                    *(
                        func.count(Invitation.id).filter(
                            Invitation.state != InvitationState.COMPLETED,
                            Invitation.non_response_reason.in_(codes),
                        )
                        for codes in NON_RESPONSE_REASONS.values()
                    ),
                )
                .join(Episode, Episode.id == Invitation.episode_id)
                .where(Invitation.due_at >= since, Invitation.due_at < until)
                .group_by(Episode.unit_id, Episode.programme_id, inv_period, Episode.patient_id)
            )
        ).all()

        # 2. First and latest scorable outcome score per episode and instrument; an episode is
        # counted in the period of its latest score in the range. One window pass (one sort)
        # gives each score its position, the first score and the count, so the latest row
        # (position == count) carries all three: no self-join, no second sort.
        partition = (Response.episode_id, Response.instrument_id)
        in_order = (Response.submitted_at, Response.id)
        scored = (
            select(
                Response.episode_id,
                Response.instrument_id,
                Response.total,
                Response.submitted_at,
                func.first_value(Response.total)
                .over(partition_by=partition, order_by=in_order)
                .label("first_total"),
                func.row_number()
                .over(partition_by=partition, order_by=in_order)
                .label("from_first"),
                func.count()
                .over(partition_by=(Response.episode_id, Response.instrument_id))
                .label("scores"),
            )
            .where(
                Response.status == ResponseStatus.SUBMITTED,
                Response.scorable.is_(True),
                Response.total.is_not(None),
                Response.submitted_at < until,
                Response.instrument_id.in_(outcome_ids),
            )
            .subquery()
        )
        outcome_period = period_key(dialect, scored.c.submitted_at, period)
        outcomes = session.execute(
            in_unit(
                select(
                    Episode.unit_id,
                    Episode.programme_id,
                    outcome_period,
                    Episode.patient_id,
                    Episode.id,
                    scored.c.instrument_id,
                    scored.c.first_total,
                    scored.c.total,
                    scored.c.scores,
                    scored.c.submitted_at >= since,
                )
                .join(Episode, Episode.id == scored.c.episode_id)
                # Every episode's latest score up to the range's end: one before the range
                # still makes half of a paired outcome whose other half is in the range.
                .where(scored.c.from_first == scored.c.scores)
            )
        ).all()

        # 3. Alliance scores per instrument and patient (sum and count; the mean over the
        # responses submitted in the period is taken below, for every level of total).
        alliance_period = period_key(dialect, Response.submitted_at, period)
        alliance = session.execute(
            in_unit(
                select(
                    Episode.unit_id,
                    Episode.programme_id,
                    alliance_period,
                    Response.instrument_id,
                    Episode.patient_id,
                    func.sum(Response.total),
                    func.count(Response.id),
                )
                .join(Episode, Episode.id == Response.episode_id)
                .where(
                    Response.status == ResponseStatus.SUBMITTED,
                    Response.scorable.is_(True),
                    Response.total.is_not(None),
                    Response.submitted_at >= since,
                    Response.submitted_at < until,
                    Response.instrument_id.in_(alliance_ids),
                )
                .group_by(
                    Episode.unit_id,
                    Episode.programme_id,
                    alliance_period,
                    Response.instrument_id,
                    Episode.patient_id,
                )
            )
        ).all()

        # 4. Signals raised in the period, with when they were acknowledged and resolved (the
        # shares and medians are taken below).
        signal_period = period_key(dialect, Signal.raised_at, period)
        risk = session.execute(
            in_unit(
                select(
                    Episode.unit_id,
                    Episode.programme_id,
                    signal_period,
                    Episode.patient_id,
                    Signal.code == SignalCode.RISK_ANSWER.value,
                    Signal.raised_at,
                    Signal.acknowledged_at,
                    Signal.resolved_at,
                )
                .join(Episode, Episode.id == Signal.episode_id)
                .where(Signal.raised_at >= since, Signal.raised_at < until)
            )
        ).all()

        # 7. Patients who paused or stopped feedback in the period (matched below with the
        # patients invited in the same row, who are the denominator).
        consent_period = period_key(dialect, ConsentEvent.created_at, period)
        consent = session.execute(
            in_unit(
                select(Episode.unit_id, Episode.programme_id, consent_period, Episode.patient_id)
                .join(Episode, Episode.patient_id == ConsentEvent.patient_id)
                .where(
                    ConsentEvent.kind.in_((ConsentEventKind.PAUSED, ConsentEventKind.STOPPED)),
                    ConsentEvent.created_at >= since,
                    ConsentEvent.created_at < until,
                )
                .distinct()
            )
        ).all()

        # 5. Comments sent to the service only, counted (never their text).
        comments = comment_counts(session, period=period, since=since, until=until, unit_id=unit_id)
        # The comments page's rule decides whose counts are hidden (its own, like suppression).
        comments_held_back = held_back(
            session,
            {(unit, p if "Q" in p else quarter_of(p)) for unit, _prog, p, _n in comments},
            default_zone(),
        )

        # 6. Unit and programme names.
        # (one query for both, so counting the comments above costs no extra round trip)
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
        outcomes=outcomes,
        alliance=alliance,
        risk=risk,
        consent=consent,
        comments=comments,
        units=units,
        programmes=programmes,
        outcome_instruments=outcome_instruments,
        alliance_ids=alliance_ids,
        all_units=unit_id is None,
        by_month=period == "month",
        collect=collect,
        comments_held_back=comments_held_back,
    )


def unit_id_for_code(db: Database, code: str) -> int | None:
    """The id of the unit with this code, or None."""
    with db.session() as session:
        return session.scalar(select(Unit.id).where(Unit.code == code))
