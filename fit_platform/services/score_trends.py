"""An episode's scores per questionnaire, as the therapist's views show them.

Shared by the pre-session view and the page of all scores: from the score columns of the
submitted responses (oldest first) to points with the severity band, the expected range the
not-on-track rule uses, the reliable change since the first score and (alliance) drops.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, cast

from sqlalchemy.orm import Session

from fit_platform.domain.change import ChangeCategory, ChangeSummary, classify_change
from fit_platform.domain.change import summarise_change as summarise
from fit_platform.domain.expected_recovery import DefaultCurve, ExpectedBand, PercentileModel
from fit_platform.domain.instrument_language import PLATFORM_LANGUAGES, text_in
from fit_platform.domain.instruments import Instrument, Kind, default_instruments
from fit_platform.domain.signal_params import DEFAULT_MIN_SESSIONS
from fit_platform.services.scored_responses import SUBMITTED_SCORES
from fit_platform.services.service_bands import service_bands

ScoreRows = list[tuple[int, dt.datetime, float | None, str | None]]


# The default curve's band depends only on the instrument, the first score and the session
# number, so each process keeps the bands of a (questionnaire, first score) for every session
# asked for so far: two years of weekly answers were 200 band computations per view. Bounded:
# first scores are few per questionnaire, and the whole store is dropped when it fills up.
_CURVES_KEPT = 2048
_curves: dict[tuple[int, float], tuple[Instrument, tuple[ExpectedBand | None, ...]]] = {}


def default_bands(inst: Instrument, first: float, sessions: int) -> tuple[ExpectedBand | None, ...]:
    """The default curve's bands from a first score, indexed by session number (0 to at least
    ``sessions``; session 0 has none). The bands are frozen, so every view may share them."""
    key = (id(inst), first)
    kept = _curves.get(key)
    # The instrument itself is kept with its bands, so a reused id never matches another one.
    if kept is not None and kept[0] is inst and len(kept[1]) > sessions:
        return kept[1]
    curve = DefaultCurve(inst)
    # Room for the next year of weekly answers, so a growing history does not rebuild each week.
    bands = tuple(curve.band(first, n) for n in range(sessions + 53))
    if len(_curves) >= _CURVES_KEPT:
        _curves.clear()
    _curves[key] = (inst, bands)
    return bands


# A named tuple rather than a frozen dataclass: two years of answers are some 300 points per
# view, and a frozen dataclass sets each of its eight fields through `object.__setattr__`.
class ScorePoint(NamedTuple):
    response_id: int
    at: dt.datetime
    total: float | None
    band: str | None
    # 1 = the first scorable answer (intake); the expected band is read at this occasion.
    occasion: int | None
    expected: ExpectedBand | None
    # Reliable change against the first scorable score (None for the first and unscorable).
    change_from_first: ChangeCategory | None
    # Alliance: fell from the previous score by the instrument's drop threshold or more
    # (never across a change of therapist: the scale rates one relationship).
    drop: bool = False
    # How many changes of responsible therapist came before this answer (0: the first one's).
    period: int = 0
    # The first answer after a change of therapist (an episode's first answer is not).
    new_therapist: bool = False


@dataclass(frozen=True)
class AnswerLine:
    link_id: str
    item_text: str
    answer_text: str | None  # None: left unanswered
    is_risk_item: bool
    at_risk_threshold: bool


@dataclass(frozen=True)
class InstrumentTrend:
    instrument: Instrument
    points: tuple[ScorePoint, ...]
    summary: ChangeSummary
    latest_answers: tuple[AnswerLine, ...]
    # The languages the answers were given in (a patient may switch mid-questionnaire),
    # bokmål, nynorsk, English in that order; empty for answers saved before they kept one.
    # The latest response's on the pre-session view and the journal summary; every
    # response's on the page of all scores, which shows them all.
    answered_in: tuple[str, ...] = ()
    # The changes of responsible therapist between the first and the latest answer (the
    # chart draws a line at each; `ScorePoint.new_therapist` marks the answer after it).
    transfers: tuple[dt.datetime, ...] = ()

    @property
    def scored(self) -> tuple[ScorePoint, ...]:
        return tuple(p for p in self.points if p.total is not None)

    @property
    def latest(self) -> ScorePoint | None:
        return self.points[-1] if self.points else None


def instrument_trend(
    inst: Instrument,
    rows: ScoreRows,
    answers: dict[str, float | None],
    language: str,
    service: PercentileModel | None = None,
    answer_languages: Iterable[str | None] = (),
    transfers: Sequence[dt.datetime] = (),
) -> InstrumentTrend:
    """One questionnaire's points, oldest first. `transfers`: when the episode changed its
    responsible therapist (`episode_transfers`), oldest first; an alliance scale's drop is
    never counted across one, and the first answer after one is marked."""
    # The chart shows the band the not-on-track rule uses: the service's own where a cell has
    # enough ended episodes, from the rule's minimum session (before it the service's band is
    # only the intakes it was stratified by), elsewhere the default curve (a guide only).
    rule = inst.not_on_track
    min_session = rule.min_sessions if rule else DEFAULT_MIN_SESSIONS
    first: float | None = None
    previous: float | None = None
    occasion = 0
    # The band is read at the session number the not-on-track rule uses: every submitted
    # response counts from the first scorable one, an unscorable one included.
    session_no = 0
    outcome = inst.kind is Kind.OUTCOME
    curve: tuple[ExpectedBand | None, ...] = ()
    points: list[ScorePoint] = []
    period = 0
    for response_id, at, total, band in rows:
        if first is not None:
            session_no += 1
        # Transfers are few (most episodes have none): counted as the rows pass them.
        changed = False
        while period < len(transfers) and transfers[period] < at:
            period += 1
            changed = bool(points)
        if changed:
            previous = None
        if total is None:
            points.append(
                ScorePoint(response_id, at, None, band, None, None, None, False, period, changed)
            )
            continue
        occasion += 1
        if first is None:
            first = total
            session_no = 1
            if outcome:
                curve = default_bands(inst, first, len(rows))
        expected = None
        if outcome:
            # The service's band where it has one (from the rule's minimum session), else the
            # default curve's: what `WithFallback(service, DefaultCurve(inst))` answers.
            if service is not None and session_no >= min_session:
                expected = service.band(first, session_no)
            expected = expected or curve[session_no]
        drop = (
            inst.alliance_drop is not None
            and previous is not None
            and previous - total >= inst.alliance_drop.threshold - 1e-9
        )
        points.append(
            ScorePoint(
                response_id,
                at,
                total,
                band,
                occasion,
                expected,
                classify_change(inst, first, total) if occasion > 1 else None,
                drop,
                period,
                changed,
            )
        )
        previous = total
    summary = summarise(inst, [p.total for p in points])
    risk = {r.link_id: r.threshold for r in inst.risk_items}
    lines = []
    if answers:
        for item in inst.items:
            value = answers.get(item.link_id)
            option_text = None
            if value is not None:
                option = next((o for o in item.options if o.value == value), None)
                option_text = text_in(option.display, language) if option else f"{value:g}"
            lines.append(
                AnswerLine(
                    item.link_id,
                    text_in(item.text, language),  # CORE-10 is English only
                    option_text,
                    item.link_id in risk,
                    value is not None
                    and item.link_id in risk
                    and value >= risk[item.link_id] - 1e-9,
                )
            )
    given = set(answer_languages)
    answered_in = tuple(lang for lang in PLATFORM_LANGUAGES if lang in given)
    within = (
        tuple(t for t in transfers if points[0].at < t < points[-1].at)
        if transfers and points
        else ()
    )
    return InstrumentTrend(inst, tuple(points), summary, tuple(lines), answered_in, within)


def scores_by_instrument(session: Session, episode_id: int) -> dict[str, ScoreRows]:
    """(response id, submitted at, total, band) per questionnaire, oldest first: one query."""
    by_instrument: dict[str, ScoreRows] = defaultdict(list)
    # A submitted response always has its time (the column is nullable for drafts).
    # Fetched in one call (`all()`): iterating the result asks the driver for one row at a time.
    rows = cast(
        "Iterable[tuple[int, str, dt.datetime, float | None, str | None]]",
        session.connection().execute(SUBMITTED_SCORES, {"episode_id": episode_id}).all(),
    )
    for response_id, instrument_id, at, total, band in rows:
        by_instrument[instrument_id].append((response_id, at, total, band))
    return by_instrument


def bands_of_service(
    session: Session, instrument_ids: Iterable[str], now: dt.datetime
) -> dict[str, PercentileModel | None]:
    """The service's own expected-range model per questionnaire (kept per process for an
    hour, so this costs a statement only in the first view after)."""
    instruments = default_instruments()
    return {
        iid: service_bands(session, instruments[iid], now)
        for iid in instrument_ids
        if iid in instruments
    }
