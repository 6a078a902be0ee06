"""Reliable change and recovery between two scores of one instrument.

Reliable change follows Jacobson & Truax (1991): a difference at least the instrument's
reliable-change threshold. Recovery on one questionnaire: at caseness (on the clinical side of
the instrument's cut-off) at the start and not at the end; reliable recovery = recovery
and reliable improvement. This borrows the NHS Talking Therapies definition of recovery and
applies it to a single instrument; NHS Talking Therapies' own figure is the paired PHQ-9 +
GAD-7 rule in :mod:`fit_platform.domain.paired_recovery`, not this one. Everything is
direction-aware: on alliance scales a higher score is the better one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fit_platform.domain.instruments import Instrument
from fit_platform.domain.scoring import is_clinical


class ChangeCategory(StrEnum):
    RELIABLE_IMPROVEMENT = "reliable_improvement"
    RELIABLE_DETERIORATION = "reliable_deterioration"
    NO_RELIABLE_CHANGE = "no_reliable_change"
    # The instrument has no reliable-change threshold (WAI-SR, SAI).
    NOT_ASSESSABLE = "not_assessable"


class RecoveryStatus(StrEnum):
    RELIABLY_RECOVERED = "reliably_recovered"
    RECOVERED = "recovered"
    NOT_RECOVERED = "not_recovered"
    # Recovery is only defined for people at caseness at the start.
    NOT_AT_CASENESS_AT_START = "not_at_caseness_at_start"
    NO_CUTOFF = "no_cutoff"


@dataclass(frozen=True)
class Change:
    """Change from ``start`` to ``end``; ``improvement`` is positive when things got better."""

    start: float
    end: float
    improvement: float
    category: ChangeCategory
    recovery: RecoveryStatus

    @property
    def recovered(self) -> bool:
        return self.recovery in (RecoveryStatus.RECOVERED, RecoveryStatus.RELIABLY_RECOVERED)

    @property
    def reliably_recovered(self) -> bool:
        return self.recovery is RecoveryStatus.RELIABLY_RECOVERED

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "improvement": self.improvement,
            "category": self.category.value,
            "recovery": self.recovery.value,
        }


def reliable_change_threshold(sd: float, r: float, z: float = 1.96) -> float:
    """Jacobson & Truax (1991): z · SD · √2 · √(1 − r)."""
    return z * sd * math.sqrt(2) * math.sqrt(1 - r)


def classify_change(inst: Instrument, start: float, end: float) -> ChangeCategory:
    """Reliable improvement, reliable deterioration or neither, from the instrument's threshold."""
    rc = inst.reliable_change
    if rc is None:
        return ChangeCategory.NOT_ASSESSABLE
    improvement = (end - start) if inst.higher_is_better else (start - end)
    # Scores can be prorated floats; a tiny tolerance keeps "exactly the threshold" reliable.
    if improvement >= rc.threshold - 1e-9:
        return ChangeCategory.RELIABLE_IMPROVEMENT
    if -improvement >= rc.threshold - 1e-9:
        return ChangeCategory.RELIABLE_DETERIORATION
    return ChangeCategory.NO_RELIABLE_CHANGE


def assess_change(inst: Instrument, start: float, end: float) -> Change:
    """Reliable change and recovery status between two totals of ``inst``."""
    category = classify_change(inst, start, end)
    clinical_start = is_clinical(inst, start)
    clinical_end = is_clinical(inst, end)
    if clinical_start is None or clinical_end is None:
        recovery = RecoveryStatus.NO_CUTOFF
    elif not clinical_start:
        recovery = RecoveryStatus.NOT_AT_CASENESS_AT_START
    elif clinical_end:
        recovery = RecoveryStatus.NOT_RECOVERED
    elif category is ChangeCategory.RELIABLE_IMPROVEMENT:
        recovery = RecoveryStatus.RELIABLY_RECOVERED
    else:
        recovery = RecoveryStatus.RECOVERED
    improvement = (end - start) if inst.higher_is_better else (start - end)
    return Change(start, end, round(improvement, 2), category, recovery)


@dataclass(frozen=True)
class ChangeSummary:
    """Latest score against the first and against the previous scorable score."""

    since_first: Change | None
    since_previous: Change | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "since_first": self.since_first.to_dict() if self.since_first else None,
            "since_previous": self.since_previous.to_dict() if self.since_previous else None,
        }


def summarise_change(inst: Instrument, totals: Sequence[float | None]) -> ChangeSummary:
    """Change over a history of totals in time order; unscorable entries (None) are skipped."""
    scored = [t for t in totals if t is not None]
    if len(scored) < 2:
        return ChangeSummary(None, None)
    return ChangeSummary(
        since_first=assess_change(inst, scored[0], scored[-1]),
        since_previous=assess_change(inst, scored[-2], scored[-1]),
    )
