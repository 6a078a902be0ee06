"""Signals for the therapist: one table of pure rules over a patient's score history.

Each rule returns :class:`Signal` objects holding a stable code, a severity and the numbers
behind it. The domain returns codes only; the therapist-facing titles and explanations live in
``fit_platform/signal_texts.py`` and the table for therapists in ``docs/signals.md``.

=========================  ========  ========================================================
code                       severity  rule (thresholds come from the instrument file)
=========================  ========  ========================================================
risk_answer                high      a risk item answered at/above its threshold (latest
                                     response, scorable or not)
risk_not_assessed          medium    a risk item left blank while other items were answered
reliable_deterioration     medium    latest total reliably worse than the first or the
                                     previous total (reliable-change threshold)
not_on_track               medium    from session N (notOnTrack.bySession): no reliable
                                     improvement since intake and still at caseness; or,
                                     with a service's percentile bands, outside the band.
                                     Never before notOnTrack.minSessions
alliance_low               medium    alliance total below the instrument's clinical cut-off
alliance_persistently_low  medium    the last k alliance totals all below the
                                     persistently-low threshold (allianceRules)
alliance_drop              medium    alliance total fell from the previous total, or from
                                     the median of the previous few, by the threshold
group_form_low             medium    the three alliance rules above on a group form (one
group_form_persistently_low          answered after a group session): the form is about
group_form_drop                      the group, not about the therapy relationship, so it
                                     raises codes of its own (docs/groups.md)
missed_answers             low       the last N invitations all expired unanswered (N=3)
=========================  ========  ========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from fit_platform.domain.change import ChangeCategory, classify_change
from fit_platform.domain.expected_recovery import ExpectedModel
from fit_platform.domain.instruments import Instrument, Kind, RecommendedUse
from fit_platform.domain.scoring import ScoreResult, is_clinical
from fit_platform.domain.signal_params import DEFAULT_MIN_SESSIONS


class SignalCode(StrEnum):
    RISK_ANSWER = "risk_answer"
    RISK_NOT_ASSESSED = "risk_not_assessed"
    RELIABLE_DETERIORATION = "reliable_deterioration"
    NOT_ON_TRACK = "not_on_track"
    ALLIANCE_LOW = "alliance_low"
    ALLIANCE_PERSISTENTLY_LOW = "alliance_persistently_low"
    ALLIANCE_DROP = "alliance_drop"
    # The alliance rules on a group form: how the group is going for the member, not the
    # relationship with their own therapist (docs/groups.md, "Signals from the group form").
    GROUP_FORM_LOW = "group_form_low"
    GROUP_FORM_PERSISTENTLY_LOW = "group_form_persistently_low"
    GROUP_FORM_DROP = "group_form_drop"
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
    # Not "high": nothing alarming was answered, but the therapist should ask in the session.
    SignalRule(SignalCode.RISK_NOT_ASSESSED, Severity.MEDIUM, "scoring.riskItems"),
    SignalRule(SignalCode.RELIABLE_DETERIORATION, Severity.MEDIUM, "scoring.reliableChange"),
    SignalRule(SignalCode.NOT_ON_TRACK, Severity.MEDIUM, "scoring.notOnTrack"),
    SignalRule(SignalCode.ALLIANCE_LOW, Severity.MEDIUM, "scoring.clinicalCutoff"),
    SignalRule(
        SignalCode.ALLIANCE_PERSISTENTLY_LOW,
        Severity.MEDIUM,
        "scoring.allianceRules.persistentlyLow",
    ),
    SignalRule(SignalCode.ALLIANCE_DROP, Severity.MEDIUM, "scoring.allianceRules"),
    SignalRule(SignalCode.GROUP_FORM_LOW, Severity.MEDIUM, "scoring.clinicalCutoff"),
    SignalRule(
        SignalCode.GROUP_FORM_PERSISTENTLY_LOW,
        Severity.MEDIUM,
        "scoring.allianceRules.persistentlyLow",
    ),
    SignalRule(SignalCode.GROUP_FORM_DROP, Severity.MEDIUM, "scoring.allianceRules"),
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


def risk_not_assessed_signal(inst: Instrument, latest: ScoreResult) -> Signal | None:
    """A risk item left blank on a response where other scored items were answered.

    PHQ-9 needs every item, so a blank item 9 makes the response unscorable and would otherwise
    say nothing; CORE-10 prorates one blank item, so a blank item 6 would even give a total.
    A wholly blank response is a missed questionnaire, not this signal.
    """
    if not latest.risk_items_missing:
        return None
    answered = len(inst.scored_link_ids) - latest.n_missing
    if answered <= 0:
        return None
    return _signal(SignalCode.RISK_NOT_ASSESSED, inst, link_ids=latest.risk_items_missing)


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
    """Not on track at the latest session, counted from the first scorable total (session 1).

    Nothing before the instrument's minimum session. Then, if ``model`` (a service's own
    percentile bands) has a band for this intake and session, a total outside it on the bad
    side; otherwise, from session N, no reliable improvement since intake while still at
    caseness. The default expected-recovery curve is drawn on the chart only: it is not
    validated, and at intakes below twice the reliable-change threshold it never fired.
    """
    scored = [h for h in history if h.result.total is not None and h.session is not None]
    if len(scored) < 2 or inst.kind is not Kind.OUTCOME:
        return None
    intake, latest = scored[0], scored[-1]
    assert intake.result.total is not None and latest.result.total is not None
    assert intake.session is not None and latest.session is not None
    session = latest.session - intake.session + 1
    rule = inst.not_on_track
    if session < (rule.min_sessions if rule else DEFAULT_MIN_SESSIONS):
        return None
    first, total = intake.result.total, latest.result.total
    band = model.band(first, session) if model is not None else None
    if band is not None:
        if not band.is_worse_than_band(total, inst.higher_is_better):
            return None
        return _signal(
            SignalCode.NOT_ON_TRACK,
            inst,
            value=total,
            reference=band.expected,
            threshold=band.worse_edge(inst.higher_is_better),
            compared_with=band.source,
        )
    if rule is None or session < rule.by_session or inst.reliable_change is None:
        return None
    if not is_clinical(inst, total):
        return None
    if classify_change(inst, first, total) is ChangeCategory.RELIABLE_IMPROVEMENT:
        return None
    return _signal(
        SignalCode.NOT_ON_TRACK,
        inst,
        value=total,
        reference=first,
        threshold=inst.reliable_change.threshold,
        compared_with="no_reliable_improvement",
    )


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


# A group form runs the alliance rules under codes of its own: its score is the member's
# experience of the group, and a title such as "Low alliance score" would tell the member's
# own therapist that their working relationship is at stake.
GROUP_FORM_CODES: dict[SignalCode, SignalCode] = {
    SignalCode.ALLIANCE_LOW: SignalCode.GROUP_FORM_LOW,
    SignalCode.ALLIANCE_PERSISTENTLY_LOW: SignalCode.GROUP_FORM_PERSISTENTLY_LOW,
    SignalCode.ALLIANCE_DROP: SignalCode.GROUP_FORM_DROP,
}


def alliance_signals(inst: Instrument, totals: Sequence[float]) -> list[Signal]:
    """The alliance rules, under the group form's own codes when ``inst`` is a group form."""
    found = _alliance_rules(inst, totals)
    if inst.recommended_use is not RecommendedUse.AFTER_GROUP_SESSION:
        return found
    return [replace(s, code=GROUP_FORM_CODES[s.code]) for s in found]


def _alliance_rules(inst: Instrument, totals: Sequence[float]) -> list[Signal]:
    """Alliance rules on the latest total (oldest first in ``totals``).

    * ``alliance_low``: below the published cut-off (SRS 36).
    * ``alliance_persistently_low``: the last k totals all below the persistently-low line.
    * ``alliance_drop``: a fall from the previous total, or from the patient's running level
      (median of the previous few totals), by the instrument's threshold. Alliance scores sit
      near the ceiling, so a fall that never crosses a cut-off is still a rupture worth asking
      about (OpenFIT); the running level catches a slow slide of small steps.
    """
    if inst.kind is not Kind.ALLIANCE or not totals:
        return []
    out = []
    latest = totals[-1]
    cut = inst.clinical_cutoff
    if cut is not None and latest < cut.value:
        out.append(_signal(SignalCode.ALLIANCE_LOW, inst, value=latest, threshold=cut.value))
    rules = inst.alliance_rules
    if rules is None:
        return out
    k = rules.low_sessions
    if (
        rules.low_below is not None
        and len(totals) >= k
        and all(t < rules.low_below for t in totals[-k:])
    ):
        out.append(
            _signal(
                SignalCode.ALLIANCE_PERSISTENTLY_LOW,
                inst,
                value=latest,
                threshold=rules.low_below,
                compared_with=f"last_{k}",
            )
        )
    previous = list(totals[:-1])
    drop = None
    fell = previous[-1] - latest if previous else 0.0
    if rules.drop_from_previous is not None and fell >= rules.drop_from_previous - 1e-9:
        drop = (previous[-1], rules.drop_from_previous, "previous")
    if drop is None and rules.drop_from_running is not None and len(previous) >= 2:
        level = _median(previous[-rules.running_window :])
        if level - latest >= rules.drop_from_running - 1e-9:
            drop = (level, rules.drop_from_running, "running_median")
    if drop is not None:
        reference, threshold, label = drop
        out.append(
            _signal(
                SignalCode.ALLIANCE_DROP,
                inst,
                value=latest,
                reference=reference,
                threshold=threshold,
                compared_with=label,
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

    Unscorable responses count only for the two risk rules; the others use scorable totals.
    ``model`` is a service's own expected-recovery bands (see :func:`not_on_track_signal`).
    """
    if not history:
        return ()
    out: list[Signal] = []
    for s in (
        risk_signal(inst, history[-1].result),
        risk_not_assessed_signal(inst, history[-1].result),
    ):
        if s:
            out.append(s)
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
