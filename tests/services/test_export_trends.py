"""Trend series from the export's rows: every period present, hidden cells stay gaps, shares
only from shown counts, and the summary compares what the page shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from fit_platform.domain.small_cells import HIDDEN, Cell
from fit_platform.services.export import AggregateRow, OutcomeAggregate
from fit_platform.services.export.trends import (
    Direction,
    Measure,
    PointState,
    Trend,
    TrendPoint,
    periods_between,
    summarise,
    unit_trends,
)


def _row(period: str, rate: Cell, improved: Cell = HIDDEN, patients: Cell = HIDDEN) -> AggregateRow:
    outcome = OutcomeAggregate("phq9", patients, HIDDEN, improved, HIDDEN, HIDDEN, HIDDEN)
    return AggregateRow(
        unit_code="u",
        unit_name="Unit",
        programme_code="all",
        programme_name="",
        period=period,
        patients_invited=HIDDEN,
        invitations_sent=HIDDEN,
        invitations_answered=HIDDEN,
        response_rate=rate,
        outcomes=(outcome,),
        alliance_mean=(("sai", Cell(21.5, False)),),
        median_hours_to_acknowledge_risk=HIDDEN,
    )


def test_periods_between_lists_every_month_or_quarter_of_the_range() -> None:
    assert periods_between("quarter", dt.date(2025, 11, 5), dt.date(2026, 4, 1)) == [
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
    ]
    assert periods_between("month", dt.date(2025, 11, 30), dt.date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


def test_a_hidden_period_is_a_gap_and_a_missing_one_has_no_data() -> None:
    rows = [
        _row("2026-Q1", Cell(0.62, False), Cell(6, False), Cell(12, False)),
        _row("2026-Q2", HIDDEN, Cell(3, True), Cell(9, False)),
        _row("2026-Q4", Cell(0.71, False), Cell(7, False), Cell(14, False)),
    ]
    trends = {
        t.measure: t
        for t in unit_trends(
            rows,
            unit_code="u",
            unit_name="Unit",
            periods=["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"],
        )
    }
    rate = trends[Measure.RESPONSE_RATE]
    assert [p.state for p in rate.points] == [
        PointState.SHOWN,
        PointState.SUPPRESSED,
        PointState.NO_DATA,
        PointState.SHOWN,
    ]
    assert [p.value for p in rate.points] == [0.62, None, None, 0.71]
    improvement = trends[Measure.RELIABLE_IMPROVEMENT]
    assert improvement.instrument_id == "phq9"
    # 3 of 9 would give the hidden count away: the share is hidden with it.
    assert [p.value for p in improvement.points] == [0.5, None, None, 0.5]
    assert improvement.points[1].state is PointState.SUPPRESSED
    summary = summarise(rate)
    assert summary is not None
    assert (summary.first.period, summary.last.period) == ("2026-Q1", "2026-Q4")
    assert summary.direction is Direction.ROSE


def test_two_figures_that_read_the_same_are_not_called_a_rise() -> None:
    def trend(*values: float) -> Trend:
        points = tuple(
            TrendPoint(f"2026-Q{n}", value, PointState.SHOWN)
            for n, value in enumerate(values, start=1)
        )
        return Trend(Measure.RESPONSE_RATE, "u", "Unit", None, points)

    same = summarise(trend(0.621, 0.618))
    assert same is not None and same.direction is Direction.SAME
    fell = summarise(trend(0.70, 0.64))
    assert fell is not None and fell.direction is Direction.FELL
    only_one = replace(trend(0.5, 0.6), points=(TrendPoint("2026-Q1", 0.5, PointState.SHOWN),))
    assert summarise(only_one) is None
