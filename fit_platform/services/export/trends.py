"""The few figures a service improves from, as series over periods: response rate, reliable
improvement, alliance, and time to act on a risk answer.

Built from the already suppressed rows of :func:`service_aggregates`, so nothing here can show
more than the export does. A hidden cell stays hidden: it becomes a gap in the series (never a
zero, never interpolated), and a share is only worked out from counts that are both shown.
Pure functions over rows; the web layer draws the charts and words the sentences.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from fit_platform.domain.small_cells import Cell
from fit_platform.services.export.periods import Period
from fit_platform.services.export.rows import ALL_CODE, AggregateRow


class Measure(StrEnum):
    RESPONSE_RATE = "response_rate"  # share of sent invitations answered, 0–1
    RELIABLE_IMPROVEMENT = "reliable_improvement"  # share of patients with two scores, 0–1
    ALLIANCE = "alliance"  # mean alliance score, instrument points
    RISK_HOURS = "risk_hours"  # median hours from a risk answer to its acknowledgement


MEASURES = tuple(Measure)
SHARES = frozenset({Measure.RESPONSE_RATE, Measure.RELIABLE_IMPROVEMENT})


class PointState(StrEnum):
    SHOWN = "shown"
    SUPPRESSED = "suppressed"  # based on fewer patients than the threshold
    # Based on enough patients, hidden so that other hidden figures cannot be worked out.
    HIDDEN_FOR_OTHERS = "hidden_for_others"
    NO_DATA = "no_data"  # nothing happened in the period (or the figure does not apply)


@dataclass(frozen=True)
class TrendPoint:
    period: str
    value: float | None
    state: PointState


@dataclass(frozen=True)
class Trend:
    measure: Measure
    unit_code: str  # ALL_CODE for all units together
    unit_name: str
    instrument_id: str | None  # the questionnaire behind an outcome or alliance figure
    points: tuple[TrendPoint, ...]

    @property
    def shown(self) -> list[TrendPoint]:
        return [p for p in self.points if p.state is PointState.SHOWN]

    @property
    def suppressed(self) -> int:
        """Hidden periods, for whichever reason: each is left out of the line."""
        hidden = (PointState.SUPPRESSED, PointState.HIDDEN_FOR_OTHERS)
        return sum(p.state in hidden for p in self.points)


class Direction(StrEnum):
    ROSE = "rose"
    FELL = "fell"
    SAME = "same"


@dataclass(frozen=True)
class TrendSummary:
    """What the one-sentence summary says: the first and the last shown point."""

    first: TrendPoint
    last: TrendPoint
    direction: Direction


def periods_between(period: Period, start: dt.date, end: dt.date) -> list[str]:
    """Every period key ('2026-03' or '2026-Q1') from start's period to end's, in order."""
    months = 1 if period == "month" else 3
    year, month = start.year, (start.month - 1) // months * months + 1
    keys = []
    while (year, month) <= (end.year, end.month):
        keys.append(f"{year}-{month:02d}" if period == "month" else f"{year}-Q{(month + 2) // 3}")
        month += months
        if month > 12:
            year, month = year + 1, month - 12
    return keys


def _point(period: str, value: Cell | None) -> TrendPoint:
    if value is None or (not value.suppressed and value.value is None):
        return TrendPoint(period, None, PointState.NO_DATA)
    if value.suppressed:
        state = PointState.HIDDEN_FOR_OTHERS if value.secondary else PointState.SUPPRESSED
        return TrendPoint(period, None, state)
    assert value.value is not None
    return TrendPoint(period, float(value.value), PointState.SHOWN)


def _share(part: Cell, whole: Cell) -> Cell:
    """part / whole, hidden when either is (a share of a hidden count would give it away)."""
    hidden = [c for c in (part, whole) if c.suppressed]
    if hidden:
        # Hidden for the others' sake only when neither count is itself too small.
        return Cell(None, True, secondary=all(c.secondary for c in hidden))
    if not whole.value or part.value is None:
        return Cell(None, False)
    return Cell(round(float(part.value) / float(whole.value), 3), False)


# The questionnaire a unit's figures follow: the first in this order with a shown figure. A
# fixed order (not "the one with most patients") keeps the cards of different units comparable
# and a chart from switching questionnaire between two requests; PHQ-9 leads because it is the
# outcome most services report. The alliance is followed on the WAI-SR; the SAI is a draft
# questionnaire (never sent to patients) and is not in the list, so it is only chosen, after
# every listed one, when nothing else has a figure.
PREFERENCE = ("phq9", "core10", "gad7", "wai_sr")


def _preference(instrument_id: str) -> tuple[int, str]:
    position = PREFERENCE.index(instrument_id) if instrument_id in PREFERENCE else len(PREFERENCE)
    return position, instrument_id


def _main(rows: Sequence[AggregateRow], pick: str) -> str | None:
    """The main outcome or alliance questionnaire over the rows (None: the rows have no cell
    of either kind).

    When nothing is shown, a questionnaire hidden only to protect other figures still counts:
    it has enough patients, and its figure reads "hidden" rather than "no data". Failing that,
    one whose cells are hidden for their own sake: its figure reads "fewer than 5", as the
    figures table says. "No data" there told a reader the unit had no scores at all, which was
    false, and a hidden cell must not tell "nobody" from "one to four" anyway."""
    shown: set[str] = set()
    protecting: set[str] = set()
    hidden: set[str] = set()
    for row in rows:
        if pick == "outcome":
            cells = [(o.instrument_id, o.patients_with_two_scores) for o in row.outcomes]
        else:
            cells = list(row.alliance_mean)
        for instrument_id, cell in cells:
            if cell.secondary:
                protecting.add(instrument_id)
            elif cell.suppressed:
                hidden.add(instrument_id)
            elif cell.value:
                shown.add(instrument_id)
    found = shown or protecting or hidden
    return min(found, key=_preference) if found else None


def measure_cell(row: AggregateRow, measure: Measure, instrument_id: str | None) -> Cell | None:
    """One row's figure for a measure; None when the row has no such figure at all."""
    if measure is Measure.RESPONSE_RATE:
        return row.response_rate
    if measure is Measure.RISK_HOURS:
        return row.median_hours_to_acknowledge_risk
    if instrument_id is None:
        return None
    if measure is Measure.ALLIANCE:
        return dict(row.alliance_mean).get(instrument_id)
    for outcome in row.outcomes:
        if outcome.instrument_id == instrument_id:
            return _share(outcome.reliable_improvement, outcome.patients_with_two_scores)
    return None


def total_rows(rows: Sequence[AggregateRow], unit_code: str | None) -> list[AggregateRow]:
    """A unit's total rows (or, for ``None``, the all-units rows), one per period."""
    wanted = ALL_CODE if unit_code is None else unit_code
    return [r for r in rows if r.unit_code == wanted and r.programme_code == ALL_CODE]


def main_instruments(rows: Sequence[AggregateRow]) -> tuple[str | None, str | None]:
    """(outcome, alliance) questionnaire the figures for these rows follow."""
    return _main(rows, "outcome"), _main(rows, "alliance")


def unit_trends(
    rows: Sequence[AggregateRow],
    *,
    unit_code: str | None,
    unit_name: str,
    periods: Sequence[str],
) -> list[Trend]:
    """One trend per measure for a unit's totals (``unit_code=None``: all units together),
    with a point for every period in ``periods``, a gap where nothing may be shown."""
    totals = {row.period: row for row in total_rows(rows, unit_code)}
    outcome_id, alliance_id = main_instruments(list(totals.values()))
    trends = []
    for measure in MEASURES:
        instrument_id = {Measure.RELIABLE_IMPROVEMENT: outcome_id, Measure.ALLIANCE: alliance_id}
        chosen = instrument_id.get(measure)
        points = tuple(
            _point(
                period,
                measure_cell(totals[period], measure, chosen) if period in totals else None,
            )
            for period in periods
        )
        trends.append(
            Trend(measure, unit_code or ALL_CODE, unit_name, chosen, points),
        )
    return trends


def summarise(trend: Trend) -> TrendSummary | None:
    """First and last shown point and which way the figure went (None: fewer than two shown).
    Compared as shown on the page (whole percent, one decimal), so "rose" never describes
    two figures that read the same."""
    shown = trend.shown
    if len(shown) < 2:
        return None
    first, last = shown[0], shown[-1]
    assert first.value is not None and last.value is not None

    def as_read(value: float) -> float:
        return round(value * 100) if trend.measure in SHARES else round(value, 1)

    before, after = as_read(first.value), as_read(last.value)
    direction = (
        Direction.SAME
        if before == after
        else (Direction.ROSE if after > before else Direction.FELL)
    )
    return TrendSummary(first, last, direction)
