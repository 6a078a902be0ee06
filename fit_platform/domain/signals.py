"""Signals for the therapist: one table of pure rules over a patient's score history.

Each rule returns :class:`Signal` objects holding a stable code, a severity and the numbers
behind it. The domain returns codes only; the therapist-facing titles and explanations live in
``fit_platform/signal_texts.py`` and the table for therapists in ``docs/signals.md``.

=======================  ========  ==========================================================
code                     severity  rule (thresholds come from the instrument file)
=======================  ========  ==========================================================
risk_answer              high      a risk item answered at/above its threshold (latest response,
                                   scorable or not)
reliable_deterioration   medium    latest total reliably worse than the first or the previous
                                   total (reliable-change threshold)
not_on_track             medium    latest total outside the expected band, on the bad side
alliance_low             medium    alliance total below the instrument's clinical cut-off
alliance_drop            medium    alliance total fell from the previous one by at least the
                                   instrument's alliance-drop threshold
missed_answers           low       the last N invitations all expired unanswered (default N=3)
=======================  ========  ==========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fit_platform.domain.change import ChangeCategory, classify_change
from fit_platform.domain.expected_recovery import DefaultCurve, ExpectedModel
from fit_platform.domain.instruments import Instrument, Kind
from fit_platform.domain.scoring import ScoreResult


class SignalCode(StrEnum):
    RISK_ANSWER = "risk_answer"
    RELIABLE_DETERIORATION = "reliable_deterioration"
    NOT_ON_TRACK = "not_on_track"
    ALLIANCE_LOW = "alliance_low"
    ALLIANCE_DROP = "alliance_drop"
    MISSED_ANSWERS = "missed_answers"


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class InvitationOutcome(StrEnum):
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SignalRule:
    code: SignalCode
    severity: Severity
    threshold_source: str


# The one table. Severity is fixed per code so a therapist learns what each colour means.
SIGNAL_RULES: tuple[SignalRule, ...] = (
    # Every risk answer must be seen and acknowledged, so both levels (flag, high) are "high".
    SignalRule(SignalCode.RISK_ANSWER, Severity.HIGH, "scoring.riskItems"),
    SignalRule(SignalCode.RELIABLE_DETERIORATION, Severity.MEDIUM, "scoring.reliableChange"),
    SignalRule(SignalCode.NOT_ON_TRACK, Severity.MEDIUM, "scoring.expectedRecovery"),
    SignalRule(SignalCode.ALLIANCE_LOW, Severity.MEDIUM, "scoring.clinicalCutoff"),
    SignalRule(SignalCode.ALLIANCE_DROP, Severity.MEDIUM, "scoring.allianceDrop"),
    SignalRule(SignalCode.MISSED_ANSWERS, Severity.LOW, "SignalSettings.missed_in_row"),
)
SEVERITY: dict[SignalCode, Severity] = {r.code: r.severity for r in SIGNAL_RULES}


@dataclass(frozen=True)
class SignalSettings:
    # Three expired invitations in a row: long enough to skip one holiday week, short enough
    # to notice a patient drifting away within a month of weekly measurement. Project default.
    missed_in_row: int = 3


@dataclass(frozen=True)
class Signal:
    """A raised signal. ``value`` is the patient's figure, ``reference`` what it was compared
    with (previous or first score, band edge), ``threshold`` the rule's threshold."""

    code: SignalCode
    severity: Severity
    instrument_id: str | None = None
    value: float | None = None
    reference: float | None = None
    threshold: float | None = None
    compared_with: str | None = None
    link_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "instrument": self.instrument_id,
            "value": self.value,
            "reference": self.reference,
            "threshold": self.threshold,
            "compared_with": self.compared_with,
            "link_ids": list(self.link_ids),
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One scored response in time order; ``session`` is the session number (1 = intake)."""

    result: ScoreResult
    session: int | None = None


def _signal(code: SignalCode, inst: Instrument, **kw: Any) -> Signal:
    return Signal(code, SEVERITY[code], inst.id, **kw)


def risk_signal(inst: Instrument, latest: ScoreResult) -> Signal | None:
    """Risk answer on the latest response (also when it could not be scored)."""
    if not latest.risk:
        return None
    return _signal(SignalCode.RISK_ANSWER, inst, link_ids=latest.risk_items)


def deterioration_signal(inst: Instrument, totals: Sequence[float]) -> Signal | None:
    """Reliable deterioration of the latest total against the first, else the previous."""
    if len(totals) < 2 or inst.reliable_change is None:
        return None
    latest = totals[-1]
    for label, ref in (("first", totals[0]), ("previous", totals[-2])):
        if classify_change(inst, ref, latest) is ChangeCategory.RELIABLE_DETERIORATION:
            return _signal(
                SignalCode.RELIABLE_DETERIORATION,
                inst,
                value=latest,
                reference=ref,
                threshold=inst.reliable_change.threshold,
                compared_with=label,
            )
    return None


def not_on_track_signal(
    inst: Instrument, history: Sequence[HistoryEntry], model: ExpectedModel | None = None
) -> Signal | None:
    """Latest total outside the expected band (bad side), from the first scorable total."""
    scored = [h for h in history if h.result.total is not None and h.session is not None]
    if len(scored) < 2 or inst.kind is not Kind.OUTCOME:
        return None
    intake, latest = scored[0], scored[-1]
    assert intake.result.total is not None and latest.result.total is not None
    assert intake.session is not None and latest.session is not None
    session = latest.session - intake.session + 1
    band = (model or DefaultCurve(inst)).band(intake.result.total, session)
    if band is None or not band.is_worse_than_band(latest.result.total, inst.higher_is_better):
        return None
    return _signal(
        SignalCode.NOT_ON_TRACK,
        inst,
        value=latest.result.total,
        reference=band.expected,
        threshold=band.worse_edge(inst.higher_is_better),
        compared_with=band.source,
    )


def alliance_signals(inst: Instrument, totals: Sequence[float]) -> list[Signal]:
    """Alliance below the cut-off, and/or a drop from the patient's own previous score.

    Both are checked because alliance scores sit near the ceiling: a fall from 39 to 37 on the
    SRS never crosses the cut-off of 36 and is still a rupture worth asking about (OpenFIT).
    """
    if inst.kind is not Kind.ALLIANCE or not totals:
        return []
    out = []
    latest = totals[-1]
    cut = inst.clinical_cutoff
    if cut is not None and latest < cut.value:
        out.append(_signal(SignalCode.ALLIANCE_LOW, inst, value=latest, threshold=cut.value))
    drop = inst.alliance_drop
    if drop is not None and len(totals) >= 2:
        fall = totals[-2] - latest
        if fall >= drop.threshold - 1e-9:
            out.append(
                _signal(
                    SignalCode.ALLIANCE_DROP,
                    inst,
                    value=latest,
                    reference=totals[-2],
                    threshold=drop.threshold,
                    compared_with="previous",
                )
            )
    return out


def missed_answers_signal(
    outcomes: Sequence[InvitationOutcome | str], settings: SignalSettings = SignalSettings()
) -> Signal | None:
    """N expired invitations in a row at the end of ``outcomes`` (oldest first).

    Cancelled invitations (e.g. the appointment was moved) are skipped: they neither break nor
    extend a run, because the patient was never asked.
    """
    run = 0
    for o in reversed(outcomes):
        o = InvitationOutcome(o)
        if o is InvitationOutcome.CANCELLED:
            continue
        if o is not InvitationOutcome.EXPIRED:
            break
        run += 1
    if run < settings.missed_in_row:
        return None
    code = SignalCode.MISSED_ANSWERS
    return Signal(code, SEVERITY[code], None, value=run, threshold=settings.missed_in_row)


def evaluate_signals(
    inst: Instrument,
    history: Sequence[HistoryEntry],
    *,
    model: ExpectedModel | None = None,
) -> tuple[Signal, ...]:
    """All score-based signals for the latest entry of ``history`` (oldest first).

    Unscorable responses count only for the risk rule; the other rules use scorable totals.
    ``model`` defaults to the instrument's default expected-recovery curve.
    """
    if not history:
        return ()
    out: list[Signal] = []
    risk = risk_signal(inst, history[-1].result)
    if risk:
        out.append(risk)
    # Change-based rules speak about the newest response only: if it was not scorable there
    # is nothing new to compare, and re-raising yesterday's signal would be noise.
    if history[-1].result.total is None:
        return tuple(out)
    totals = [h.result.total for h in history if h.result.total is not None]
    if inst.kind is Kind.OUTCOME:
        for s in (deterioration_signal(inst, totals), not_on_track_signal(inst, history, model)):
            if s:
                out.append(s)
    else:
        out.extend(alliance_signals(inst, totals))
    return tuple(out)
