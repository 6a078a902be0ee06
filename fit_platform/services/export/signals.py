"""Signals raised in a period and how soon staff acted on them.

Counted at every level of total in the database (:func:`.statements.signal_levels`), medians
included, so Python receives one row per row of the export, not one per signal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fit_platform.domain.small_cells import HIDDEN, Cell, cell, too_small
from fit_platform.services.export.medians import median_hours
from fit_platform.services.export.rows import Key, SignalAggregate

# Each measure comes from the database as its two middle values in microseconds.
MEASURES = ("acknowledge", "resolve", "risk_acknowledge")


@dataclass(frozen=True)
class SignalFigures:
    """One row's signals: the patients they were about, how many were raised and
    acknowledged, the median hours to acknowledge and to resolve, and for risk answers the
    median hours to acknowledge and the patients with one acknowledged."""

    patients: int
    raised: int
    acknowledged: int
    hours_to_acknowledge: float | None
    hours_to_resolve: float | None
    risk_patients: int
    hours_to_acknowledge_risk: float | None


def read_signal_levels(rows: Iterable[Any], key_of: Any) -> dict[Key, SignalFigures]:
    """From rows (unit, programme, period, level, patients, raised, acknowledged, risk
    patients, then the low and high middle of each of :data:`MEASURES`)."""
    found: dict[Key, SignalFigures] = {}
    for unit, programme, period, level, patients, raised, acknowledged, risk, *middles in rows:
        ack, resolve, risk_ack = (
            median_hours(middles[2 * n], middles[2 * n + 1]) for n in range(len(MEASURES))
        )
        found[key_of(unit, programme, period, level)] = SignalFigures(
            patients=patients,
            raised=raised,
            acknowledged=acknowledged,
            hours_to_acknowledge=ack,
            hours_to_resolve=resolve,
            risk_patients=risk,
            hours_to_acknowledge_risk=risk_ack,
        )
    return found


def signal_cells(figures: SignalFigures | None) -> SignalAggregate:
    # Every figure is based on the patients with a signal raised in the period.
    n = figures.patients if figures else 0
    if figures is None or too_small(n):
        return SignalAggregate(HIDDEN, HIDDEN, HIDDEN, HIDDEN)

    def median(hours: float | None) -> Cell:
        return cell(round(hours, 1), n) if hours is not None else Cell(None, False)

    return SignalAggregate(
        raised=cell(figures.raised, n),
        acknowledged_share=cell(round(figures.acknowledged / figures.raised, 3), n),
        median_hours_to_acknowledge=median(figures.hours_to_acknowledge),
        median_hours_to_resolve=median(figures.hours_to_resolve),
    )


def risk_acknowledge_cell(figures: SignalFigures | None) -> Cell:
    """Median hours to acknowledge a risk answer, based on the patients with one acknowledged."""
    if figures is None:
        return cell(None, 0)
    hours = figures.hours_to_acknowledge_risk
    return cell(round(hours, 1) if hours is not None else None, figures.risk_patients)
