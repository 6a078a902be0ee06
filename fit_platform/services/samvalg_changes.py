"""Correcting and withdrawing a samvalg record after it was saved.

A record is part of the patient's treatment story and the patient may read it, so a mistake
in it must be mendable without losing what stood there:

- **Correct**: the record's words are rewritten; the words they replace are kept in
  `SharedDecisionEarlier` with who wrote them and when, and the record says who corrected it
  and when (the patient's page says "corrected"). The record keeps its id, its time and its
  signal, so a correction is not "looking at it again" (`domain/samvalg_review.py`). Each
  correction is written against the version the form showed: a colleague's correction saved
  in between is not overwritten, the form comes back with the current words. A signal the
  record acknowledged when it was saved has the record's decision as what was done: a
  corrected decision is corrected there too (the journal text showed both before).
- **Withdraw** ("written in error", e.g. on the wrong patient): the record stays, with who
  withdrew it, when and why; staff see that it was withdrawn but not its words, the patient no
  longer sees it, it is not due to be looked at again and it is left out of the journal text.
  A withdrawal also stands in an ended episode (it removes, it plans nothing); a correction
  does not (an ended episode is read-only). A signal the record acknowledged when it was saved
  (its note is the record's decision) is open again, unless it has been resolved since: the
  acknowledgement was written in error too, and a risk answer must not stay answered by a
  record meant for someone else.

Both are for the staff who may record a decision on the episode, and both write the access
log. Logs carry ids only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session, aliased

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Patient,
    SharedDecision,
    SharedDecisionEarlier,
    Signal,
    Staff,
)
from fit_platform.domain.free_text import clean_free_text
from fit_platform.services.access_control import Viewer, refuse_if_closed, visible_episodes
from fit_platform.services.access_log import record_access
from fit_platform.services.form_once import form_key, run_once
from fit_platform.services.invitation_common import rowcount
from fit_platform.services.samvalg import (
    DecisionError,
    DecisionRefused,
    as_note,
    clean_decision_texts,
    recording_role,
    review_date_problem,
)
from fit_platform.services.signal_workflow import hold_episode_signals

log = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500
CHANGE_FORM_ACTION = "decision_change_form"
CORRECT_ACTION = "decision_correct"
WITHDRAW_ACTION = "decision_withdraw"


@dataclass(frozen=True)
class Correction:
    """The new words of a record (its signal and time stay)."""

    options_discussed: str
    decision: str
    what_matters: str | None
    review_on: dt.date | None
    visible_to_patient: bool


@dataclass(frozen=True)
class EarlierText:
    version: int
    options_discussed: str
    what_matters: str | None
    decision: str
    review_on: dt.date | None
    visible_to_patient: bool
    written_by: str
    written_at: dt.datetime
    replaced_at: dt.datetime


@dataclass(frozen=True)
class DecisionRecord:
    """One record with its earlier words, for the correction and withdrawal pages."""

    id: int
    episode_id: int
    patient_name: str
    options_discussed: str
    what_matters: str | None
    decision: str
    review_on: dt.date | None
    visible_to_patient: bool
    version: int
    recorded_at: dt.datetime
    recorded_by: str
    corrected_at: dt.datetime | None
    corrected_by: str | None
    withdrawn_at: dt.datetime | None
    earlier: tuple[EarlierText, ...]  # newest first
    # Open signals this record acknowledged: a withdrawal opens them again (read for the
    # withdrawal page only).
    signals_acknowledged: int = 0


def decision_record(
    db: Database,
    viewer: Viewer,
    episode_id: int,
    decision_id: int,
    *,
    now: dt.datetime,
    correcting: bool,
) -> DecisionRecord | None:
    """The record if the viewer may see its episode, else None. Showing it (with the
    patient's name and words) is a read: one access-log row, `CHANGE_FORM_ACTION`. Nothing
    is logged for a page that shows none of it: a withdrawn record (the page only says so),
    or a correction in an ended episode (`EpisodeClosed`)."""
    recorder, corrector, writer = aliased(Staff), aliased(Staff), aliased(Staff)
    with db.transaction(now=now) as session:
        row = session.execute(
            select(
                SharedDecision,
                Episode,
                Patient.display_name,
                recorder.display_name,
                corrector.display_name,
            )
            .join(Episode, Episode.id == SharedDecision.episode_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .join(recorder, recorder.id == SharedDecision.recorded_by_id)
            .outerjoin(corrector, corrector.id == SharedDecision.corrected_by_id)
            .where(
                SharedDecision.id == decision_id,
                SharedDecision.episode_id == episode_id,
                Episode.id.in_(visible_episodes(viewer)),
            )
        ).first()
        if row is None:
            return None
        record, episode, patient_name, recorded_by, corrected_by = row
        if correcting:
            refuse_if_closed(episode_id, episode.status, episode.ended_on)
        earlier = session.execute(
            select(SharedDecisionEarlier, writer.display_name)
            .join(writer, writer.id == SharedDecisionEarlier.written_by_id)
            .where(SharedDecisionEarlier.decision_id == decision_id)
            .order_by(SharedDecisionEarlier.version.desc())
        ).all()
        if record.withdrawn_at is None:
            _log_change(session, viewer, episode, CHANGE_FORM_ACTION, now)
        return DecisionRecord(
            id=record.id,
            episode_id=record.episode_id,
            patient_name=patient_name,
            options_discussed=record.options_discussed,
            what_matters=record.what_matters,
            decision=record.decision,
            review_on=record.review_on,
            visible_to_patient=record.visible_to_patient,
            version=record.version,
            recorded_at=record.recorded_at,
            recorded_by=recorded_by,
            corrected_at=record.corrected_at,
            corrected_by=corrected_by,
            withdrawn_at=record.withdrawn_at,
            # Only the withdrawal page says what a withdrawal would open again.
            signals_acknowledged=(
                0 if correcting else len(_signals_it_acknowledged(session, record))
            ),
            earlier=tuple(
                EarlierText(
                    e.version,
                    e.options_discussed,
                    e.what_matters,
                    e.decision,
                    e.review_on,
                    e.visible_to_patient,
                    name,
                    e.written_at,
                    e.replaced_at,
                )
                for e, name in earlier
            ),
        )


def _record_of(
    session: Session, viewer: Viewer, episode_id: int, decision_id: int
) -> tuple[SharedDecision, Episode]:
    found = session.execute(
        select(SharedDecision, Episode)
        .join(Episode, Episode.id == SharedDecision.episode_id)
        .where(
            SharedDecision.id == decision_id,
            SharedDecision.episode_id == episode_id,
            Episode.id.in_(visible_episodes(viewer)),
        )
    ).first()
    if found is None:
        raise DecisionRefused(DecisionError.NOT_FOUND)
    return found[0], found[1]


def correct_decision(
    db: Database,
    viewer: Viewer,
    episode_id: int,
    decision_id: int,
    correction: Correction,
    *,
    version: int,
    today: dt.date,
    now: dt.datetime,
    form_nonce: str | None = None,
) -> bool:
    """Rewrite the record with `correction`, keeping the words it replaces. `version` is the
    version the form showed: if the record has moved on since, `CHANGED_MEANWHILE` (nothing is
    saved). Returns False when the words are the same as the record's (nothing to save)."""
    options, decision, what_matters = clean_decision_texts(
        correction.options_discussed, correction.decision, correction.what_matters
    )

    def work(session: Session) -> int:
        record, episode = _record_of(session, viewer, episode_id, decision_id)
        refuse_if_closed(episode_id, episode.status, episode.ended_on)
        if record.withdrawn_at is not None:
            raise DecisionRefused(DecisionError.WITHDRAWN)
        if record.version != version:
            raise DecisionRefused(DecisionError.CHANGED_MEANWHILE)
        # Only a changed date is held to "today, up to two years on": correcting the words of
        # a record whose review date has passed keeps that date.
        if correction.review_on != record.review_on:
            problem = review_date_problem(correction.review_on, today)
            if problem is not None:
                raise DecisionRefused(problem)
        new = (options, what_matters, decision, correction.review_on, correction.visible_to_patient)
        old = (
            record.options_discussed,
            record.what_matters,
            record.decision,
            record.review_on,
            record.visible_to_patient,
        )
        if new == old:
            return 0
        session.add(
            SharedDecisionEarlier(
                decision_id=record.id,
                version=record.version,
                options_discussed=record.options_discussed,
                what_matters=record.what_matters,
                decision=record.decision,
                review_on=record.review_on,
                visible_to_patient=record.visible_to_patient,
                written_by_id=record.corrected_by_id or record.recorded_by_id,
                written_at=record.corrected_at or record.recorded_at,
                replaced_at=now,
            )
        )
        # Guarded by the version read above: of two corrections of the same version sent at
        # once, the second finds no row to update and is refused as changed meanwhile (as is a
        # correction racing a withdrawal).
        changed = rowcount(
            session.execute(
                update(SharedDecision)
                .where(
                    SharedDecision.id == record.id,
                    SharedDecision.version == version,
                    SharedDecision.withdrawn_at.is_(None),
                )
                .values(
                    options_discussed=options,
                    what_matters=what_matters,
                    decision=decision,
                    review_on=correction.review_on,
                    visible_to_patient=correction.visible_to_patient,
                    version=version + 1,
                    corrected_at=now,
                    corrected_by_id=viewer.staff_id,
                )
                .execution_options(synchronize_session=False)
            )
        )
        if changed != 1:
            raise DecisionRefused(DecisionError.CHANGED_MEANWHILE)
        if decision != record.decision:
            _correct_what_was_done(session, record, decision)
        _log_change(session, viewer, episode, CORRECT_ACTION, now)
        log.info(
            "samvalg decision corrected",
            extra={
                "event": "decision_corrected",
                "decision_id": record.id,
                "episode_id": episode_id,
                "staff_id": viewer.staff_id,
                "version": version + 1,
            },
        )
        return record.id

    key = form_key("decision_correct", f"staff:{viewer.staff_id}", form_nonce)
    return bool(run_once(db, key, now, work).result_id)


def withdraw_decision(
    db: Database,
    viewer: Viewer,
    episode_id: int,
    decision_id: int,
    reason: str,
    *,
    now: dt.datetime,
) -> int:
    """Withdraw the record as written in error, with the reason; returns how many signals it
    had acknowledged are open again. A record withdrawn already is left as it is (a second
    click changes nothing, and opens nothing)."""
    why = clean_free_text(reason or "")
    if not why:
        raise DecisionRefused(DecisionError.MISSING_REASON)
    if len(why) > REASON_MAX_LENGTH:
        raise DecisionRefused(DecisionError.REASON_TOO_LONG)
    with db.transaction(now=now) as session:
        record, episode = _record_of(session, viewer, episode_id, decision_id)
        if record.withdrawn_at is not None:
            return 0
        record.withdrawn_at = now
        record.withdrawn_by_id = viewer.staff_id
        record.withdrawal_reason = why
        # Read once nobody else acts on the episode's signals: one a colleague resolved in
        # the meantime keeps its acknowledgement (a resolved risk signal always has one).
        hold_episode_signals(session, episode_id)
        reopened = _signals_it_acknowledged(session, record)
        for signal in reopened:
            # Its acknowledgement was this record (its note the record's decision): written in
            # error, so the signal waits again to be followed up, and escalates as before.
            signal.acknowledged_at = None
            signal.acknowledged_by_id = None
            signal.acknowledge_note = None
        _log_change(session, viewer, episode, WITHDRAW_ACTION, now)
        log.info(
            "samvalg decision withdrawn",
            extra={
                "event": "decision_withdrawn",
                "decision_id": record.id,
                "episode_id": episode_id,
                "staff_id": viewer.staff_id,
                "signals_reopened": [signal.id for signal in reopened],
            },
        )
        return len(reopened)


def _correct_what_was_done(session: Session, record: SharedDecision, decision: str) -> None:
    """The signals the record acknowledged, resolved since or not, say what was done in the
    record's decision: give them the corrected one. Only a note that is still the record's
    decision as it stood is changed (one statement: a colleague's note written meanwhile is
    not its text, and is left)."""
    if record.signal_id is None:
        return
    session.execute(
        update(Signal)
        .where(*_acknowledged_by(record), Signal.acknowledge_note == as_note(record.decision))
        .values(acknowledge_note=as_note(decision))
        .execution_options(synchronize_session=False)
    )


def _acknowledged_by(record: SharedDecision) -> tuple[ColumnElement[bool], ...]:
    """The signals the record acknowledged when it was saved: the one it answered and the
    earlier open ones of that code (`signal_workflow.acknowledge_flag`), all stamped with the
    record's own time and author in the same transaction."""
    return (
        Signal.episode_id == record.episode_id,
        Signal.acknowledged_at == record.recorded_at,
        Signal.acknowledged_by_id == record.recorded_by_id,
    )


def _signals_it_acknowledged(session: Session, record: SharedDecision) -> list[Signal]:
    """The signals the record acknowledged (`_acknowledged_by`) that are not resolved."""
    if record.signal_id is None:
        return []
    return list(
        session.scalars(
            select(Signal).where(*_acknowledged_by(record), Signal.resolved_at.is_(None))
        )
    )


def _log_change(
    session: Session, viewer: Viewer, episode: Episode, action: str, now: dt.datetime
) -> None:
    record_access(
        session,
        staff_id=viewer.staff_id,
        role=recording_role(session, viewer, episode.id),
        patient_id=episode.patient_id,
        unit_id=episode.unit_id,
        action=action,
        now=now,
    )
