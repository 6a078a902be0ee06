"""Signals raised in a period and how soon staff acted on them."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fit_platform.domain.small_cells import HIDDEN, Cell, cell, too_small
from fit_platform.services.export.rows import Key, SignalAggregate, levels


@dataclass
class SignalTally:
    patients: set[int] = field(default_factory=set)
    raised: int = 0
    acknowledge_hours: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)


@dataclass
class SignalTallies:
    """Every row's signals, and its risk signals' hours to acknowledgement."""

    signals: dict[Key, SignalTally] = field(default_factory=lambda: defaultdict(SignalTally))
    risk_hours: dict[Key, list[float]] = field(default_factory=lambda: defaultdict(list))
    risk_patients: dict[Key, set[int]] = field(default_factory=lambda: defaultdict(set))


def tally_signals(rows: Iterable[Any], all_units: bool) -> SignalTallies:
    """From rows (unit, programme, period, patient, is risk, raised, acknowledged, resolved).

    The medians need every signal's hours (SQLite has no median), so these lists grow with the
    number of signals in the range: one in a hundred responses or fewer."""
    found = SignalTallies()
    for unit, programme, period, patient, is_risk, raised, acknowledged, resolved in rows:
        for key in levels((unit, programme, period), all_units):
            acc = found.signals[key]
            acc.patients.add(patient)
            acc.raised += 1
            if acknowledged is not None:
                acc.acknowledge_hours.append(hours_between(raised, acknowledged))
                if is_risk:
                    found.risk_hours[key].append(hours_between(raised, acknowledged))
                    found.risk_patients[key].add(patient)
            if resolved is not None:
                acc.resolve_hours.append(hours_between(raised, resolved))
    return found


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
