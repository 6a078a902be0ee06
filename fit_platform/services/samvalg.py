"""The samvalg (shared decision-making) record: options, what matters, decision, review date.

Recorded by the clinician together with the patient, from a signal or at any time. A record
made from a signal nobody has acknowledged acknowledges it, with the decision as what was done.
The patient sees the records marked visible through :func:`decisions_for_patient` (not those
withdrawn). Correcting and withdrawing a record: `services/samvalg_changes.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, EpisodeTherapist, SharedDecision, Signal
from fit_platform.domain.codes import Role
from fit_platform.domain.free_text import clean_free_text
from fit_platform.services.access_control import Viewer, refuse_if_closed, visible_episodes
from fit_platform.services.access_log import Action, record_access
from fit_platform.services.form_once import form_key, run_once
from fit_platform.services.signal_workflow import (
    NOTE_MAX_LENGTH,
    acknowledge_flag,
    hold_episode_signals,
)

log = logging.getLogger(__name__)

TEXT_MAX_LENGTH = 4000


class DecisionError(StrEnum):
    NOT_FOUND = "not_found"
    SIGNAL_NOT_IN_EPISODE = "signal_not_in_episode"
    MISSING_TEXT = "missing_text"
    TEXT_TOO_LONG = "text_too_long"
    REVIEW_IN_PAST = "review_in_past"
    REVIEW_TOO_FAR = "review_too_far"
    # Corrections and withdrawals (`services/samvalg_changes.py`).
    WITHDRAWN = "withdrawn"
    CHANGED_MEANWHILE = "changed_meanwhile"
    MISSING_REASON = "missing_reason"
    REASON_TOO_LONG = "reason_too_long"


class DecisionRefused(Exception):
    def __init__(self, reason: DecisionError) -> None:
        self.reason = reason
        super().__init__(reason.value)


@dataclass(frozen=True)
class DecisionDraft:
    options_discussed: str
    decision: str
    what_matters: str | None = None
    review_on: dt.date | None = None
    signal_id: int | None = None
    visible_to_patient: bool = True


@dataclass(frozen=True)
class PatientDecision:
    """A decision as the patient sees it (no staff name, no signal internals)."""

    id: int
    recorded_at: dt.datetime
    options_discussed: str
    what_matters: str | None
    decision: str
    review_on: dt.date | None
    from_signal: bool
    corrected_at: dt.datetime | None = None


def as_note(decision: str) -> str:
    """The decision as an acknowledgement's note, within the note's limit."""
    if len(decision) <= NOTE_MAX_LENGTH:
        return decision
    return decision[: NOTE_MAX_LENGTH - 1].rstrip() + "…"


def _text(value: str | None, required: bool) -> str | None:
    # Stored as the patient's words are (NFC, "\n" line ends): the pages show the line breaks.
    value = clean_free_text(value or "")
    if required and not value:
        raise DecisionRefused(DecisionError.MISSING_TEXT)
    if len(value) > TEXT_MAX_LENGTH:
        raise DecisionRefused(DecisionError.TEXT_TOO_LONG)
    return value or None


def clean_decision_texts(
    options_discussed: str, decision: str, what_matters: str | None
) -> tuple[str, str, str | None]:
    """The record's three texts as stored (options and decision required), or refused."""
    options = _text(options_discussed, required=True)
    chosen = _text(decision, required=True)
    return options or "", chosen or "", _text(what_matters, required=False)


def recording_role(session: Session, viewer: Viewer, episode_id: int) -> Role:
    """The role a samvalg record is written in, for the access log: the episode's therapist,
    or the unit lead who may also see it."""
    is_mine = session.scalar(
        select(EpisodeTherapist.episode_id).where(
            EpisodeTherapist.episode_id == episode_id,
            EpisodeTherapist.staff_id == viewer.staff_id,
        )
    )
    return Role.THERAPIST if is_mine is not None else Role.UNIT_LEAD


# The latest review date taken: a decision is looked at again within weeks or months; a date
# years ahead is a mistyped year ("31.12.9999" stood on the pre-session view and in the journal).
REVIEW_WITHIN = dt.timedelta(days=2 * 366)


def review_date_problem(review_on: dt.date | None, today: dt.date) -> DecisionError | None:
    """A review date before the clinic's today (nobody can look again in the past) or more
    than two years ahead: refused. The form asks it with its other checks, so every wrong
    field shows in one round."""
    if review_on is None:
        return None
    if review_on < today:
        return DecisionError.REVIEW_IN_PAST
    if review_on > today + REVIEW_WITHIN:
        return DecisionError.REVIEW_TOO_FAR
    return None


def record_decision(
    db: Database,
    viewer: Viewer,
    episode_id: int,
    draft: DecisionDraft,
    *,
    today: dt.date,
    now: dt.datetime,
    form_nonce: str | None = None,
) -> int:
    """Save a samvalg record for an episode the viewer can see; returns its id.

    `today` is the clinic's local date (a review date before it is refused). Logs ids only.
    The same form posted again (`form_nonce`) returns the first record's id and saves nothing.
    """
    options, decision, what_matters = clean_decision_texts(
        draft.options_discussed, draft.decision, draft.what_matters
    )
    problem = review_date_problem(draft.review_on, today)
    if problem is not None:
        raise DecisionRefused(problem)

    def work(session: Session) -> int:
        episode = session.execute(
            select(Episode.status, Episode.ended_on, Episode.patient_id, Episode.unit_id).where(
                Episode.id == episode_id, Episode.id.in_(visible_episodes(viewer))
            )
        ).first()
        if episode is None:
            raise DecisionRefused(DecisionError.NOT_FOUND)
        # A decision plans further treatment: an ended episode is read-only.
        refuse_if_closed(episode_id, episode.status, episode.ended_on)
        if draft.signal_id is not None:
            # The signal as it is once nobody else is acting on it (a colleague's note on it
            # is kept, not replaced by this record's).
            hold_episode_signals(session, episode_id)
        signal = session.get(Signal, draft.signal_id) if draft.signal_id is not None else None
        if draft.signal_id is not None and (signal is None or signal.episode_id != episode_id):
            raise DecisionRefused(DecisionError.SIGNAL_NOT_IN_EPISODE)
        if signal is not None and signal.acknowledged_at is None and signal.resolved_at is None:
            # A decision made with the patient about a signal is acting on it: the signal is
            # acknowledged with the decision as what was done, as the form says, so it stops
            # waiting (and is not escalated) while its record says what was decided.
            acknowledge_flag(session, signal, viewer.staff_id, as_note(decision), now)
        row = SharedDecision(
            episode_id=episode_id,
            signal_id=draft.signal_id,
            options_discussed=options,
            what_matters=what_matters,
            decision=decision,
            review_on=draft.review_on,
            recorded_by_id=viewer.staff_id,
            recorded_at=now,
            visible_to_patient=draft.visible_to_patient,
        )
        session.add(row)
        session.flush()
        # Its own access-log row: opening the form is a read (`decision_form`), and the
        # patient's list says "wrote down" only for a record that was saved.
        record_access(
            session,
            staff_id=viewer.staff_id,
            role=recording_role(session, viewer, episode_id),
            patient_id=episode.patient_id,
            unit_id=episode.unit_id,
            action=Action.DECISION_RECORD,
            now=now,
        )
        log.info(
            "samvalg decision recorded",
            extra={
                "event": "decision_recorded",
                "decision_id": row.id,
                "episode_id": episode_id,
                "signal_id": draft.signal_id,
                "staff_id": viewer.staff_id,
            },
        )
        return row.id

    key = form_key("decision", f"staff:{viewer.staff_id}", form_nonce)
    decision_id = run_once(db, key, now, work).result_id
    assert decision_id is not None
    return decision_id


def decisions_for_patient(db: Database, episode_id: int) -> list[PatientDecision]:
    """The decisions of an episode that the patient may see, newest first.

    For the patient pages, which have already established that the patient owns the episode.
    """
    with db.session() as session:
        rows = session.scalars(
            select(SharedDecision)
            .where(
                SharedDecision.episode_id == episode_id,
                SharedDecision.visible_to_patient.is_(True),
                SharedDecision.withdrawn_at.is_(None),
            )
            .order_by(SharedDecision.recorded_at.desc(), SharedDecision.id.desc())
        )
        return [
            PatientDecision(
                d.id,
                d.recorded_at,
                d.options_discussed,
                d.what_matters,
                d.decision,
                d.review_on,
                d.signal_id is not None,
                d.corrected_at,
            )
            for d in rows
        ]
