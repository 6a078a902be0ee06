"""Change on the outcome questionnaires: reliable change, recovery, and NHS Talking Therapies
paired recovery (PHQ-9 and GAD-7 together), tallied per row and turned into cells."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from fit_platform.domain.instruments import Instrument
from fit_platform.domain.small_cells import HIDDEN, cell, too_small
from fit_platform.services.export.rows import NOT_APPLICABLE, OutcomeAggregate, PairedAggregate

PAIRED = ("phq9", "gad7")  # NHS Talking Therapies paired recovery: depression, anxiety


@dataclass
class OutcomeTally:
    patients: set[int]
    improvements: list[float]
    improved: int = 0
    deteriorated: int = 0
    eligible: set[int] | None = None
    recovered: int = 0
    reliably_recovered: int = 0
    firsts: list[float] = field(default_factory=list)
    latests: list[float] = field(default_factory=list)


def outcome_cells(instrument: Instrument, acc: OutcomeTally | None) -> OutcomeAggregate:
    n = len(acc.patients) if acc else 0
    if acc is None or too_small(n):
        recovery = NOT_APPLICABLE if instrument.clinical_cutoff is None else HIDDEN
        return OutcomeAggregate(
            instrument.id,
            HIDDEN,
            HIDDEN,
            HIDDEN,
            HIDDEN,
            recovery,
            recovery,
            reliable_recovery_rate=recovery,
        )
    if acc.eligible is None:
        eligible, rate, reliable_rate = NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE
    else:
        base = len(acc.eligible)
        eligible = cell(base, base)
        rate = cell(round(acc.recovered / base, 3) if base else None, base)
        reliable_rate = cell(round(acc.reliably_recovered / base, 3) if base else None, base)
    return OutcomeAggregate(
        instrument_id=instrument.id,
        patients_with_two_scores=cell(n, n),
        mean_improvement=cell(round(statistics.fmean(acc.improvements), 2), n),
        # A count of patients is itself a small cell when it is under the threshold.
        reliable_improvement=cell(acc.improved, acc.improved),
        reliable_deterioration=cell(acc.deteriorated, acc.deteriorated),
        recovery_eligible=eligible,
        recovery_rate=rate,
        mean_first_score=cell(round(statistics.fmean(acc.firsts), 2), n),
        mean_latest_score=cell(round(statistics.fmean(acc.latests), 2), n),
        reliable_recovery_rate=reliable_rate,
    )


@dataclass
class PairedTally:
    patients: set[int] = field(default_factory=set)
    eligible: set[int] = field(default_factory=set)
    recovered: int = 0
    reliably_recovered: int = 0
    improved: int = 0
    deteriorated: int = 0


def paired_cells(acc: PairedTally | None) -> PairedAggregate:
    n = len(acc.patients) if acc else 0
    if acc is None or too_small(n):
        return PairedAggregate(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
    base = len(acc.eligible)
    return PairedAggregate(
        patients=cell(n, n),
        at_caseness=cell(base, base),
        recovery_rate=cell(round(acc.recovered / base, 3) if base else None, base),
        reliable_recovery_rate=cell(
            round(acc.reliably_recovered / base, 3) if base else None, base
        ),
        reliable_improvement=cell(acc.improved, acc.improved),
        reliable_deterioration=cell(acc.deteriorated, acc.deteriorated),
    )
