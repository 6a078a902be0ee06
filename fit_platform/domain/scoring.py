"""Scoring of one response by the instrument's published rule.

The rule comes from the definition file: scored items, reverse-scored items, how many missing
items the source allows (prorated as mean of answered items x number of items), bands, clinical
cut-off and risk items. The result carries codes only; the web layer translates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from fit_platform.domain.instruments import Instrument, Item

Answers = Mapping[str, float | None]


class UnscorableReason(StrEnum):
    # The source allows no missing item (PHQ-9, GAD-7, WAI-SR, SAI) and at least one is missing.
    MISSING_ITEMS = "missing_items"
    # The source allows prorating, but more items are missing than it permits (CORE-10: 2+).
    TOO_MANY_MISSING_ITEMS = "too_many_missing_items"


class RiskLevel(StrEnum):
    NONE = "none"
    FLAG = "flag"
    HIGH = "high"


class InvalidAnswerError(ValueError):
    """An answer names an unknown item or has a value the item cannot take."""

    def __init__(self, link_id: str, problem: str) -> None:
        self.link_id = link_id
        super().__init__(f"{link_id}: {problem}")


@dataclass(frozen=True)
class SubscaleScore:
    id: str
    score: float | None
    reason: UnscorableReason | None = None


@dataclass(frozen=True)
class ScoreResult:
    """The scored response: store it with ``instrument_id`` and ``instrument_version``."""

    instrument_id: str
    instrument_version: str
    scorable: bool
    total: float | None
    reason: UnscorableReason | None
    band: str | None
    clinical: bool | None
    prorated: bool
    n_missing: int
    subscales: tuple[SubscaleScore, ...]
    risk_level: RiskLevel
    risk_items: tuple[str, ...]
    # Risk items left blank: the response says nothing about risk (the "risk not assessed" signal).
    risk_items_missing: tuple[str, ...] = ()

    @property
    def risk(self) -> bool:
        return self.risk_level is not RiskLevel.NONE

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (enums as their string codes, whole numbers as ints)."""
        return {
            "instrument": self.instrument_id,
            "instrument_version": self.instrument_version,
            "scorable": self.scorable,
            "total": _num(self.total),
            "reason": self.reason.value if self.reason else None,
            "band": self.band,
            "clinical": self.clinical,
            "prorated": self.prorated,
            "n_missing": self.n_missing,
            "subscales": {
                s.id: {"score": _num(s.score), "reason": s.reason.value if s.reason else None}
                for s in self.subscales
            },
            "risk": self.risk,
            "risk_level": self.risk_level.value,
            "risk_items": list(self.risk_items),
            "risk_items_missing": list(self.risk_items_missing),
        }


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


@dataclass(frozen=True)
class _Plan:
    """Per-instrument lookups computed once, so scoring a response is a few dict reads."""

    items: Mapping[str, Item]
    # For each scored item: (linkId, offset) where scored = offset - raw for reversed items.
    scored: tuple[tuple[str, float | None], ...]
    subscales: tuple[tuple[str, tuple[tuple[str, float | None], ...]], ...]


@cache
def _plan(inst: Instrument) -> _Plan:
    items = {it.link_id: it for it in inst.items}

    def entry(link_id: str) -> tuple[str, float | None]:
        it = items[link_id]
        return link_id, (it.min_value + it.max_value) if link_id in inst.reverse_link_ids else None

    return _Plan(
        items=items,
        scored=tuple(entry(x) for x in inst.scored_link_ids),
        subscales=tuple((s.id, tuple(entry(x) for x in s.link_ids)) for s in inst.subscales),
    )


def validate_answers(inst: Instrument, answers: Answers) -> None:
    """Raise :class:`InvalidAnswerError` for an unknown linkId or a value outside the item."""
    items = _plan(inst).items
    for link_id, value in answers.items():
        it = items.get(link_id)
        if it is None:
            raise InvalidAnswerError(link_id, f"not an item of {inst.id}")
        if value is not None and not it.is_valid_value(value):
            raise InvalidAnswerError(link_id, f"{value!r} is not an allowed answer")


def _sum(
    entries: tuple[tuple[str, float | None], ...], answers: Answers, max_missing: int
) -> tuple[float | None, UnscorableReason | None, int]:
    total = 0.0
    missing = 0
    for link_id, offset in entries:
        v = answers.get(link_id)
        if v is None:
            missing += 1
            continue
        total += v if offset is None else offset - v
    n = len(entries)
    if missing == 0:
        return round(total, 2), None, 0
    if missing > max_missing:
        reason = (
            UnscorableReason.MISSING_ITEMS
            if max_missing == 0
            else UnscorableReason.TOO_MANY_MISSING_ITEMS
        )
        return None, reason, missing
    # Prorate as the source says: mean of answered items times the number of items
    # (CORE-10: "clinical score = mean x 10"). Two decimals are more than the scale resolves.
    return round(total * n / (n - missing), 2), None, missing


def band_for(inst: Instrument, total: float) -> str | None:
    """The code of the highest band whose lower bound is at or below ``total``."""
    code = None
    for b in inst.bands:
        if total >= b.min:
            code = b.code
    return code


def is_clinical(inst: Instrument, total: float) -> bool | None:
    """Caseness: at/above the cut-off (higher is worse) or below it (higher is better)."""
    cut = inst.clinical_cutoff
    if cut is None:
        return None
    return total < cut.value if inst.higher_is_better else total >= cut.value


def score(inst: Instrument, answers: Answers, *, validate: bool = True) -> ScoreResult:
    """Score one response. ``answers`` maps linkId to the answer's value (None = not answered).

    Risk items are checked on the raw answers, so a risk answer is flagged even when the
    response is not scorable. Pass ``validate=False`` only for answers already validated.
    """
    if validate:
        validate_answers(inst, answers)
    plan = _plan(inst)
    total, reason, n_missing = _sum(plan.scored, answers, inst.max_missing)
    subs = tuple(
        SubscaleScore(sid, *_sum(entries, answers, inst.max_missing)[:2])
        for sid, entries in plan.subscales
    )

    risk_level = RiskLevel.NONE
    flagged: list[str] = []
    blank: list[str] = []
    for r in inst.risk_items:
        v = answers.get(r.link_id)
        if v is None:
            blank.append(r.link_id)
        elif v >= r.threshold:
            flagged.append(r.link_id)
            if r.high_threshold is not None and v >= r.high_threshold:
                risk_level = RiskLevel.HIGH
            elif risk_level is RiskLevel.NONE:
                risk_level = RiskLevel.FLAG

    return ScoreResult(
        instrument_id=inst.id,
        instrument_version=inst.version,
        scorable=total is not None,
        total=total,
        reason=reason,
        band=band_for(inst, total) if total is not None else None,
        clinical=is_clinical(inst, total) if total is not None else None,
        prorated=total is not None and n_missing > 0,
        n_missing=n_missing,
        subscales=subs,
        risk_level=risk_level,
        risk_items=tuple(flagged),
        risk_items_missing=tuple(blank),
    )


def answers_from_codes(
    inst: Instrument, codes: Mapping[str, str | None]
) -> dict[str, float | None]:
    """Turn answer codes (as a form posts them) into values; VAS codes are the number itself."""
    items = _plan(inst).items
    out: dict[str, float | None] = {}
    for link_id, code in codes.items():
        it = items.get(link_id)
        if it is None:
            raise InvalidAnswerError(link_id, f"not an item of {inst.id}")
        if code is None or code == "":
            out[link_id] = None
        elif it.vas is not None:
            try:
                # The answer page accepts a decimal comma (what bokmål and nynorsk write, and
                # what the page's own check allows), so the score reads it the same way.
                out[link_id] = float(code.strip().replace(",", "."))
            except ValueError:
                raise InvalidAnswerError(link_id, f"{code!r} is not a number") from None
        else:
            match = next((o for o in it.options if o.code == code), None)
            if match is None:
                raise InvalidAnswerError(link_id, f"{code!r} is not an answer code")
            out[link_id] = match.value
    validate_answers(inst, out)
    return out
