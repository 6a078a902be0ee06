"""Paired recovery as NHS Talking Therapies reports it, from PHQ-9 and GAD-7 together.

The per-instrument rule in :mod:`fit_platform.domain.change` looks at one questionnaire at a
time. NHS Talking Therapies reports one figure per referral from the pair:

- *at caseness*: PHQ-9 at or above its cut-off (10) **or** GAD-7 at or above its cut-off (8) at
  the start;
- *recovered*: at caseness at the start, and below **both** cut-offs at the end;
- *reliable improvement*: a reliable improvement on at least one of the two and a reliable
  deterioration on neither;
- *reliable deterioration*: a reliable deterioration on at least one and a reliable improvement on
  neither;
- *reliable recovery*: recovered and reliably improved.

The cut-offs and reliable-change thresholds come from the instrument files, not from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from fit_platform.domain.change import ChangeCategory, classify_change
from fit_platform.domain.instruments import Instrument
from fit_platform.domain.scoring import is_clinical


@dataclass(frozen=True)
class PairedOutcome:
    at_caseness: bool
    recovered: bool
    reliable_improvement: bool
    reliable_deterioration: bool

    @property
    def reliably_recovered(self) -> bool:
        return self.recovered and self.reliable_improvement


def assess_paired(
    depression: Instrument,
    anxiety: Instrument,
    depression_scores: tuple[float, float],
    anxiety_scores: tuple[float, float],
) -> PairedOutcome:
    """The paired outcome from the (first, last) scores of each of the two instruments."""
    pairs = ((depression, depression_scores), (anxiety, anxiety_scores))
    start = [bool(is_clinical(inst, first)) for inst, (first, _last) in pairs]
    end = [bool(is_clinical(inst, last)) for inst, (_first, last) in pairs]
    changes = [classify_change(inst, first, last) for inst, (first, last) in pairs]
    improved = ChangeCategory.RELIABLE_IMPROVEMENT in changes
    deteriorated = ChangeCategory.RELIABLE_DETERIORATION in changes
    at_caseness = any(start)
    return PairedOutcome(
        at_caseness=at_caseness,
        recovered=at_caseness and not any(end),
        reliable_improvement=improved and not deteriorated,
        reliable_deterioration=deteriorated and not improved,
    )
