"""Run the real signal rules over a series of totals, one per session, oldest first.

This is what ``fit-platform signals`` prints and what the sensitivity table in
``docs/signals.md`` is checked against: each session is evaluated with the history up to it,
exactly as when a response is submitted. A series of totals has no item answers, so the two
risk rules (``risk_answer``, ``risk_not_assessed``) cannot fire here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fit_platform.domain.expected_recovery import ExpectedModel
from fit_platform.domain.instruments import Instrument
from fit_platform.domain.scoring import RiskLevel, ScoreResult, band_for, is_clinical
from fit_platform.domain.signals import HistoryEntry, SignalCode, evaluate_signals


class TotalOutOfRangeError(ValueError):
    """A total lies outside the instrument's score range."""

    def __init__(self, index: int, total: float) -> None:
        self.index = index
        self.total = total
        super().__init__(f"total {total:g} (session {index + 1}) is outside the score range")


@dataclass(frozen=True)
class SessionSignals:
    session: int
    total: float
    codes: tuple[SignalCode, ...]

    def to_dict(self) -> dict[str, Any]:
        total: float | int = int(self.total) if self.total.is_integer() else self.total
        return {
            "session": self.session,
            "total": total,
            "signals": [c.value for c in self.codes],
        }


def result_for_total(inst: Instrument, total: float) -> ScoreResult:
    """A scorable response with this total and no risk answer (no item answers behind it)."""
    return ScoreResult(
        instrument_id=inst.id,
        instrument_version=inst.version,
        scorable=True,
        total=total,
        reason=None,
        band=band_for(inst, total),
        clinical=is_clinical(inst, total),
        prorated=False,
        n_missing=0,
        subscales=(),
        risk_level=RiskLevel.NONE,
        risk_items=(),
    )


def signals_over_series(
    inst: Instrument, totals: Sequence[float], *, model: ExpectedModel | None = None
) -> list[SessionSignals]:
    """The signals raised at each session of ``totals`` (session 1 = intake)."""
    history: list[HistoryEntry] = []
    out = []
    for i, total in enumerate(totals):
        if not inst.score_min <= total <= inst.score_max:
            raise TotalOutOfRangeError(i, total)
        history.append(HistoryEntry(result_for_total(inst, float(total)), i + 1))
        raised = evaluate_signals(inst, history, model=model)
        out.append(SessionSignals(i + 1, float(total), tuple(s.code for s in raised)))
    return out


def first_session(series: Sequence[SessionSignals], code: SignalCode) -> int | None:
    """The first session at which ``code`` fired, or None."""
    return next((s.session for s in series if code in s.codes), None)
