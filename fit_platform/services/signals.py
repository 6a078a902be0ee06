"""Raising clinical signals from patients' answers (acknowledging and resolving live elsewhere).

Signals are stored idempotently: a row is unique per episode, code and source key (the
response the signal came from), so saving the same page twice, a double submit or a re-run
never raises a signal twice. Callers pass their open session; the rows are written in the
caller's transaction, so a risk signal is committed together with the answer that caused it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db.models import Response, Signal
from fit_platform.domain import signals as rules
from fit_platform.domain.codes import ResponseStatus
from fit_platform.domain.instruments import Instrument, Kind
from fit_platform.domain.scoring import Answers, ScoreResult, score
from fit_platform.services.episode_transfers import since_last_transfer
from fit_platform.services.service_bands import service_bands

log = logging.getLogger(__name__)


def source_key_for(response_id: int) -> str:
    return f"response:{response_id}"


def store_signals(
    session: Session,
    *,
    episode_id: int,
    response_id: int,
    raised: Iterable[rules.Signal],
    now: dt.datetime,
) -> list[Signal]:
    """Insert the signals not stored yet for this response; return every stored row for them."""
    source_key = source_key_for(response_id)
    stored: list[Signal] = []
    for signal in raised:
        existing = session.scalar(
            select(Signal).where(
                Signal.episode_id == episode_id,
                Signal.code == signal.code.value,
                Signal.source_key == source_key,
            )
        )
        if existing is not None:
            stored.append(existing)
            continue
        row = Signal(
            episode_id=episode_id,
            response_id=response_id,
            code=signal.code.value,
            severity=signal.severity.value,
            source_key=source_key,
            details=signal.to_dict(),
            raised_at=now,
        )
        try:
            # A savepoint, so losing a race with a second tab does not undo the caller's work.
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = session.scalars(
                select(Signal).where(
                    Signal.episode_id == episode_id,
                    Signal.code == signal.code.value,
                    Signal.source_key == source_key,
                )
            ).one()
        else:
            log.info(
                "signal raised",
                extra={"signal_id": row.id, "episode_id": episode_id, "code": row.code},
            )
        stored.append(row)
    return stored


def has_risk_answer(instrument: Instrument, answers: Answers) -> bool:
    """Whether a risk item in ``answers`` is at or above its threshold (the rule of
    ``raise_risk_signal``, asked without storing anything)."""
    return rules.risk_signal(instrument, score(instrument, answers, validate=False)) is not None


def raise_risk_signal(
    session: Session,
    instrument: Instrument,
    *,
    episode_id: int,
    response_id: int,
    answers: Answers,
    now: dt.datetime,
) -> bool:
    """Store a risk signal if any risk item in ``answers`` is at or above its threshold.

    Called when a page is saved, before the questionnaire is submitted: whatever the patient
    does next (closing the browser included), the therapist sees the flag.
    """
    signal = rules.risk_signal(instrument, score(instrument, answers, validate=False))
    if signal is None:
        return False
    store_signals(session, episode_id=episode_id, response_id=response_id, raised=[signal], now=now)
    return True


def _risk_signal_of(session: Session, episode_id: int, response_id: int) -> Signal | None:
    """The risk signal a response raised, if any (one per response: its source key)."""
    return session.scalar(
        select(Signal).where(
            Signal.episode_id == episode_id,
            Signal.code == rules.SignalCode.RISK_ANSWER.value,
            Signal.source_key == source_key_for(response_id),
        )
    )


def note_risk_answer_changes(
    session: Session,
    instrument: Instrument,
    *,
    episode_id: int,
    response_id: int,
    changes: Mapping[str, tuple[float | None, float | None]],
    now: dt.datetime,
) -> bool:
    """Record on the response's risk signal that the patient changed a risk answer.

    ``changes`` maps item link ids to (old value, new value). The signal is never resolved by
    this: a risk answer taken back is still something the therapist must see and talk about,
    so the change and its time are added to the signal's details (``answer_changes``) for the
    pre-session view. Returns False when no risk item changed or no risk signal was raised.
    """
    risk_ids = {item.link_id for item in instrument.risk_items}
    relevant = {link_id: change for link_id, change in changes.items() if link_id in risk_ids}
    if not relevant:
        return False
    signal = _risk_signal_of(session, episode_id, response_id)
    if signal is None:
        return False
    details = dict(signal.details or {})
    history = list(details.get("answer_changes") or [])
    for link_id, (before, after) in sorted(relevant.items()):
        history.append({"link_id": link_id, "from": before, "to": after, "at": now.isoformat()})
    details["answer_changes"] = history
    signal.details = details  # a new dict, so the JSON column is written
    log.info(
        "risk answer changed after the signal was raised",
        extra={"signal_id": signal.id, "episode_id": episode_id, "response_id": response_id},
    )
    return True


def note_late_risk_answer(
    session: Session, *, episode_id: int, response_id: int, now: dt.datetime
) -> None:
    """Mark the response's risk signal as raised by a page sent after the questionnaire ran
    out of time (`page_save.keep_late_risk_answer`): the therapist reads why the questionnaire
    was not finished (``details.after_deadline_at``)."""
    signal = _risk_signal_of(session, episode_id, response_id)
    if signal is not None and not (signal.details or {}).get("after_deadline_at"):
        signal.details = {**(signal.details or {}), "after_deadline_at": now.isoformat()}


def raise_signals_for_response(
    session: Session,
    instrument: Instrument,
    response: Response,
    result: ScoreResult,
    now: dt.datetime,
) -> list[Signal]:
    """Evaluate the domain rules over the episode's history for this instrument and store them.

    ``response`` is the newest one (just submitted); earlier submitted responses of the same
    instrument in the episode make the history, oldest first, numbered as sessions 1, 2, ...
    The not-on-track rule uses the service's own percentile bands where a cell has enough
    ended episodes (``services.service_bands``, kept per process for up to an hour).
    """
    earlier_query = select(Response).where(
        Response.episode_id == response.episode_id,
        Response.instrument_id == instrument.id,
        Response.status == ResponseStatus.SUBMITTED,
        Response.id != response.id,
    )
    if instrument.kind is Kind.ALLIANCE:
        # An alliance scale rates the relationship with one therapist: a walk had a patient's
        # WAI-SR fall from 58 with her therapist to 36 with the colleague covering her leave,
        # and the therapist coming back found "alliance score dropped" for sessions she never
        # had. The first rating with a new therapist starts the history again.
        earlier_query = earlier_query.where(
            since_last_transfer(Response.submitted_at, response.episode_id)
        )
    earlier = session.scalars(earlier_query.order_by(Response.submitted_at, Response.id)).all()
    history = [
        rules.HistoryEntry(result=_stored_result(instrument, r), session=index + 1)
        for index, r in enumerate(earlier)
    ]
    history.append(rules.HistoryEntry(result=result, session=len(history) + 1))
    model = service_bands(session, instrument, now)
    raised = rules.evaluate_signals(instrument, history, model=model)
    return store_signals(
        session, episode_id=response.episode_id, response_id=response.id, raised=raised, now=now
    )


def _stored_result(instrument: Instrument, response: Response) -> ScoreResult:
    """A stored response as a score result: its answers re-scored by the current rule.

    Re-scoring keeps the history consistent if a response was stored without details; the
    stored total wins when present, because that is what the therapist saw at the time.
    """
    answers = {a.link_id: a.value for a in response.answers if a.link_id in _link_ids(instrument)}
    result = score(instrument, answers, validate=False)
    if response.total is not None and result.total != response.total:
        result = replace(result, total=response.total, scorable=True)
    return result


def _link_ids(instrument: Instrument) -> frozenset[str]:
    return frozenset(item.link_id for item in instrument.items)
