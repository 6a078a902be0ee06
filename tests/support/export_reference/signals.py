"""Signals raised in a period and how soon staff acted on them: every signal read into Python
and its hours kept in lists for the medians (the export before its medians were taken in SQL)."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from fit_platform.domain.small_cells import HIDDEN, Cell, cell, too_small
from fit_platform.services.export.rows import SignalAggregate


@dataclass
class SignalTally:
    patients: set[int] = field(default_factory=set)
    raised: int = 0
    acknowledge_hours: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)


def signal_cells(acc: SignalTally | None) -> SignalAggregate:
    # Every figure is based on the patients with a signal raised in the period.
    n = len(acc.patients) if acc else 0
    if acc is None or too_small(n):
        return SignalAggregate(HIDDEN, HIDDEN, HIDDEN, HIDDEN)

    def median(hours: list[float]) -> Cell:
        return cell(round(statistics.median(hours), 1), n) if hours else Cell(None, False)

    return SignalAggregate(
        raised=cell(acc.raised, n),
        acknowledged_share=cell(round(len(acc.acknowledge_hours) / acc.raised, 3), n),
        median_hours_to_acknowledge=median(acc.acknowledge_hours),
        median_hours_to_resolve=median(acc.resolve_hours),
    )


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600
