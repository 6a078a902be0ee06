"""Change on the outcome questionnaires: reliable change, recovery, and NHS Talking Therapies
paired recovery (PHQ-9 and GAD-7 together), tallied per row and turned into cells."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from fit_platform.domain.change import Change, ChangeCategory, RecoveryStatus, assess_change
from fit_platform.domain.instruments import Instrument
from fit_platform.domain.small_cells import HIDDEN, Cell, cell, too_small
from fit_platform.services.export.rows import NOT_APPLICABLE, OutcomeAggregate, PairedAggregate


@dataclass
class OutcomeTally:
    """One row's change on one instrument: distinct patients (and of those, at caseness at the
    start), and how many episodes went from each first to each latest score. Its size depends
    on the scale's range, not on how many episodes there were."""

    patients: int = 0
    eligible: int = 0
    pairs: Counter[tuple[float, float]] = field(default_factory=Counter)

    def add(self, other: OutcomeTally) -> None:
        self.patients += other.patients
        self.eligible += other.eligible
        self.pairs.update(other.pairs)


@lru_cache(maxsize=100_000)
def _change(instrument: Instrument, first: float, latest: float) -> Change:
    # The domain's rule, asked once per distinct pair of scores rather than once per episode.
    return assess_change(instrument, first, latest)


def at_caseness_at_start(instrument: Instrument, first: float, latest: float) -> bool:
    """Counts towards recovery's base (at caseness at the start; the domain's rule)."""
    return (
        _change(instrument, first, latest).recovery is not RecoveryStatus.NOT_AT_CASENESS_AT_START
    )


def _mean(counts: Iterable[tuple[float, int]], n: int) -> float:
    """The mean of ``value`` repeated ``count`` times, exactly as ``statistics.fmean`` gives it
    for the list: the sum is exact (fractions) and rounded once, then divided."""
    return float(sum(Fraction(value) * count for value, count in counts)) / n


def hidden_outcome(instrument: Instrument, mark: Cell = HIDDEN) -> OutcomeAggregate:
    """Every figure of an instrument hidden with ``mark`` (recovery stays "does not apply"
    for an instrument without a clinical cut-off)."""
    recovery = NOT_APPLICABLE if instrument.clinical_cutoff is None else mark
    return OutcomeAggregate(
        instrument.id,
        mark,
        mark,
        mark,
        mark,
        recovery,
        recovery,
        mean_first_score=mark,
        mean_latest_score=mark,
        reliable_recovery_rate=recovery,
    )


def counts_inside(instrument: Instrument, acc: OutcomeTally) -> dict[str, int]:
    """The row's counts of patients inside its figures of one instrument, by the figure's
    name: reliably improved, reliably worse, at caseness at the start (the base of recovery).
    Each is a small cell of its own, and the rows add up for them as for the row's patients
    (`suppression.suppress_across_rows_and_totals`)."""
    improved = deteriorated = 0
    for pair, count in acc.pairs.items():
        category = _change(instrument, *pair).category
        if category is ChangeCategory.RELIABLE_IMPROVEMENT:
            improved += count
        elif category is ChangeCategory.RELIABLE_DETERIORATION:
            deteriorated += count
    return {
        "reliable_improvement": improved,
        "reliable_deterioration": deteriorated,
        "recovery_eligible": acc.eligible,
    }


def outcome_cells(instrument: Instrument, acc: OutcomeTally | None) -> OutcomeAggregate:
    n = acc.patients if acc else 0
    if acc is None or too_small(n):
        return hidden_outcome(instrument)
    episodes = sum(acc.pairs.values())
    changes = [(_change(instrument, *pair), count) for pair, count in acc.pairs.items()]
    inside = counts_inside(instrument, acc)
    improved, deteriorated = inside["reliable_improvement"], inside["reliable_deterioration"]
    if instrument.clinical_cutoff is None:
        eligible, rate, reliable_rate = NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE
    else:
        base = acc.eligible
        recovered = sum(c for change, c in changes if change.recovered)
        reliably = sum(c for change, c in changes if change.reliably_recovered)
        eligible = cell(base, base)
        rate = cell(round(recovered / base, 3) if base else None, base)
        reliable_rate = cell(round(reliably / base, 3) if base else None, base)
    return OutcomeAggregate(
        instrument_id=instrument.id,
        patients_with_two_scores=cell(n, n),
        mean_improvement=cell(
            round(_mean(((ch.improvement, c) for ch, c in changes), episodes), 2), n
        ),
        # A count of patients is itself a small cell when it is under the threshold.
        reliable_improvement=cell(improved, improved),
        reliable_deterioration=cell(deteriorated, deteriorated),
        recovery_eligible=eligible,
        recovery_rate=rate,
        mean_first_score=cell(
            round(_mean(((f, c) for (f, _l), c in acc.pairs.items()), episodes), 2), n
        ),
        mean_latest_score=cell(
            round(_mean(((last, c) for (_f, last), c in acc.pairs.items()), episodes), 2), n
        ),
        reliable_recovery_rate=reliable_rate,
    )


@dataclass
class PairedTally:
    patients: int = 0
    eligible: int = 0
    recovered: int = 0
    reliably_recovered: int = 0
    improved: int = 0
    deteriorated: int = 0

    def add(self, other: PairedTally) -> None:
        for name in ("patients", "eligible", "recovered", "reliably_recovered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.improved += other.improved
        self.deteriorated += other.deteriorated


def hidden_paired(mark: Cell = HIDDEN) -> PairedAggregate:
    return PairedAggregate(mark, mark, mark, mark, mark, mark)


def paired_cells(acc: PairedTally | None) -> PairedAggregate:
    n = acc.patients if acc else 0
    if acc is None or too_small(n):
        return hidden_paired()
    base = acc.eligible
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
