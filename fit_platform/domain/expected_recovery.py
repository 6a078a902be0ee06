"""Expected-recovery band: where a patient's score is expected to be at session n.

Two models share one small interface (``band(intake, session) -> ExpectedBand | None``):

* :class:`DefaultCurve` — transparent and explicitly *not validated*; drawn on the chart as a
  guide, it raises no signal (the not-on-track rule is ``scoring.notOnTrack``, see
  ``domain/signals.py``). From the intake score the
  expected score approaches a fraction of the way to the good end of the scale::

      expected(n) = intake + (good_end - intake) · f · (1 - exp(-k · (n - 1)))

  with ``f`` (maxImprovementFraction), ``k`` (rate) and the band half-width taken from the
  instrument file. Session 1 is the intake, so expected(1) = intake.
* :class:`PercentileModel` — built by :func:`percentile_bands` from a service's own completed
  episodes, stratified by intake score; a stratum/session cell is used only once it holds at
  least ``min_n`` episodes. Passed to ``evaluate_signals(model=...)``, a band replaces the
  not-on-track rule for its intake stratum and session (never before the minimum session).
  Its intake strata are the instrument's published severity bands (:func:`intake_strata`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from fit_platform.domain.instruments import Instrument


@dataclass(frozen=True)
class ExpectedBand:
    """Expected score with its band; ``source`` says which model produced it."""

    session: int
    expected: float
    low: float
    high: float
    source: str
    validated: bool

    def worse_edge(self, higher_is_better: bool) -> float:
        return self.low if higher_is_better else self.high

    def is_worse_than_band(self, score: float, higher_is_better: bool) -> bool:
        """True when ``score`` lies outside the band on the bad side (the 'not on track' test)."""
        if higher_is_better:
            return score < self.low
        return score > self.high


class ExpectedModel(Protocol):
    def band(self, intake: float, session: int) -> ExpectedBand | None: ...


@dataclass(frozen=True)
class DefaultCurve:
    instrument: Instrument

    def band(self, intake: float, session: int) -> ExpectedBand | None:
        params = self.instrument.expected_recovery
        if params is None or session < 1:
            return None
        inst = self.instrument
        good_end = inst.score_max if inst.higher_is_better else inst.score_min
        progress = params.max_improvement_fraction * (1 - math.exp(-params.rate * (session - 1)))
        expected = intake + (good_end - intake) * progress
        w = params.band_half_width
        return ExpectedBand(
            session=session,
            expected=round(expected, 2),
            low=round(max(inst.score_min, expected - w), 2),
            high=round(min(inst.score_max, expected + w), 2),
            source="default_curve",
            validated=params.validated,
        )


@dataclass(frozen=True)
class EpisodeScores:
    """One completed episode: the intake score and the score at each later session number."""

    intake: float
    by_session: Mapping[int, float]


@dataclass(frozen=True)
class PercentileCell:
    n: int
    low: float
    median: float
    high: float


@dataclass(frozen=True)
class PercentileModel:
    """Percentile bands per (intake stratum, session); strata are [lo, hi) intake ranges."""

    strata: tuple[tuple[float, float], ...]
    cells: Mapping[tuple[int, int], PercentileCell] = field(default_factory=dict)
    min_n: int = 30
    percentiles: tuple[float, float] = (10.0, 90.0)

    def stratum_of(self, intake: float) -> int | None:
        for i, (lo, hi) in enumerate(self.strata):
            if lo <= intake < hi:
                return i
        return None

    def band(self, intake: float, session: int) -> ExpectedBand | None:
        s = self.stratum_of(intake)
        cell = self.cells.get((s, session)) if s is not None else None
        if cell is None or cell.n < self.min_n:
            return None
        return ExpectedBand(session, cell.median, cell.low, cell.high, "service_percentiles", True)


@dataclass(frozen=True)
class WithFallback:
    """Use ``primary`` where it has a band, else ``fallback``."""

    primary: ExpectedModel
    fallback: ExpectedModel

    def band(self, intake: float, session: int) -> ExpectedBand | None:
        return self.primary.band(intake, session) or self.fallback.band(intake, session)


def intake_strata(inst: Instrument) -> tuple[tuple[float, float], ...]:
    """The intake strata of a service's percentile bands: the instrument's severity bands.

    Each band runs from its lower bound up to the next band's; the last one includes the
    scale's maximum. The bands are data in the instrument file (``scoring.bands``), published
    with a source, and are how clinicians already read an intake score. No bands, no strata.
    """
    lows = sorted(b.min for b in inst.bands)
    if not lows:
        return ()
    highs = [*lows[1:], math.nextafter(inst.score_max, math.inf)]
    return tuple(zip(lows, highs, strict=True))


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear-interpolation percentile (the common 'type 7' definition) of sorted values."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def percentile_bands(
    episodes: Iterable[EpisodeScores],
    strata: Sequence[tuple[float, float]],
    *,
    min_n: int = 30,
    percentiles: tuple[float, float] = (10.0, 90.0),
) -> PercentileModel:
    """Build percentile bands from completed episodes, per intake stratum and session number.

    Cells with fewer than ``min_n`` episodes are kept (so their N can be shown) but never used.
    Defaults (10th-90th percentile, N >= 30) are a project choice, not a published standard.
    """
    model = PercentileModel(tuple(strata), {}, min_n, percentiles)
    grouped: dict[tuple[int, int], list[float]] = {}
    for ep in episodes:
        s = model.stratum_of(ep.intake)
        if s is None:
            continue
        for session, value in ep.by_session.items():
            grouped.setdefault((s, session), []).append(value)
    cells = {}
    for key, values in grouped.items():
        values.sort()
        cells[key] = PercentileCell(
            n=len(values),
            low=round(percentile(values, percentiles[0]), 2),
            median=round(percentile(values, 50), 2),
            high=round(percentile(values, percentiles[1]), 2),
        )
    return PercentileModel(tuple(strata), cells, min_n, percentiles)
