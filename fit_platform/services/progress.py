"""The patient's own progress: their outcome scores over time, and their goals.

Only outcome questionnaires are shown back as a chart; alliance answers are about the work
with the therapist and are fed back in the conversation, not as a score to the patient.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, PatientGoal
from fit_platform.domain.change import ChangeSummary, summarise_change
from fit_platform.domain.codes import EpisodeStatus
from fit_platform.domain.free_text import clean_free_text
from fit_platform.domain.instruments import Instrument, Kind, default_instruments
from fit_platform.services.form_once import form_key, run_once
from fit_platform.services.scored_responses import submitted_scores

log = logging.getLogger(__name__)

GOAL_MAX = 500
MAX_GOALS = 10


@dataclass(frozen=True)
class ScorePoint:
    response_id: int
    submitted_at: dt.datetime
    total: float | None
    band: str | None


@dataclass(frozen=True)
class InstrumentProgress:
    instrument: Instrument
    points: tuple[ScorePoint, ...]
    change: ChangeSummary

    @property
    def scored(self) -> tuple[ScorePoint, ...]:
        return tuple(p for p in self.points if p.total is not None)


def latest_episode_id(session: Session, patient_id: int) -> int | None:
    return session.scalar(
        select(Episode.id)
        .where(Episode.patient_id == patient_id)
        .order_by(Episode.started_on.desc(), Episode.id.desc())
        .limit(1)
    )


def episode_is_active(session: Session, episode_id: int) -> bool:
    """Whether the episode is still open: after it is closed nobody follows its scores."""
    return session.scalar(select(Episode.status).where(Episode.id == episode_id)) is (
        EpisodeStatus.ACTIVE
    )


def patient_progress(
    db: Database, patient_id: int, instruments: Mapping[str, Instrument] | None = None
) -> list[InstrumentProgress]:
    """Outcome scores of the patient's latest episode, per instrument, oldest first."""
    registry = instruments or default_instruments()
    with db.session() as session:
        episode_id = latest_episode_id(session, patient_id)
        if episode_id is None:
            return []
        rows = submitted_scores(session, episode_id)
    by_instrument: dict[str, list[ScorePoint]] = {}
    for response_id, instrument_id, submitted_at, total, band in rows:
        inst = registry.get(instrument_id)
        if inst is None or inst.kind is not Kind.OUTCOME or submitted_at is None:
            continue
        by_instrument.setdefault(instrument_id, []).append(
            ScorePoint(response_id, submitted_at, total, band)
        )
    return [
        InstrumentProgress(
            registry[iid], tuple(points), summarise_change(registry[iid], [p.total for p in points])
        )
        for iid, points in sorted(by_instrument.items())
    ]


# --------------------------------------------------------------------------- goals


@dataclass(frozen=True)
class Goal:
    id: int
    text: str
    updated_at: dt.datetime


def current_goals(db: Database, patient_id: int) -> list[Goal]:
    with db.session() as session:
        episode_id = latest_episode_id(session, patient_id)
        rows = session.scalars(
            select(PatientGoal)
            .where(PatientGoal.episode_id == episode_id, PatientGoal.archived_at.is_(None))
            .order_by(PatientGoal.created_at, PatientGoal.id)
        ).all()
        return [Goal(r.id, r.text, r.updated_at) for r in rows]


class GoalError(ValueError):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def save_goal(
    db: Database,
    patient_id: int,
    text: str,
    now: dt.datetime,
    goal_id: int | None = None,
    form_nonce: str | None = None,
) -> int:
    """Add a goal, or change the text of one of the patient's goals; returns its id.

    Raises ``GoalError`` (``empty``, ``too_many``, ``not_found``). Empty text is refused rather
    than treated as deleting: removing a goal is its own, explicit action (``archive_goal``).
    The same "add" form posted again (`form_nonce`) returns the first goal and adds nothing.
    """
    cleaned = clean_free_text(text)[:GOAL_MAX]
    if not cleaned:
        raise GoalError("empty")

    def work(session: Session) -> int:
        episode_id = latest_episode_id(session, patient_id)
        if episode_id is None:
            raise GoalError("not_found")
        if goal_id is None:
            count = len(
                session.scalars(
                    select(PatientGoal.id).where(
                        PatientGoal.episode_id == episode_id, PatientGoal.archived_at.is_(None)
                    )
                ).all()
            )
            if count >= MAX_GOALS:
                raise GoalError("too_many")
            goal = PatientGoal(episode_id=episode_id, text=cleaned, created_at=now, updated_at=now)
            session.add(goal)
            session.flush()
        else:
            goal = _own_goal(session, episode_id, goal_id)
            if goal.text != cleaned:
                goal.text = cleaned
                goal.updated_at = now
        log.info("goal saved", extra={"goal_id": goal.id, "episode_id": episode_id})
        return goal.id

    key = form_key("goal", f"patient:{patient_id}", form_nonce) if goal_id is None else None
    saved = run_once(db, key, now, work).result_id
    assert saved is not None
    return saved


def archive_goal(db: Database, patient_id: int, goal_id: int, now: dt.datetime) -> None:
    """Mark a goal as no longer current (kept for the therapist's history)."""
    with db.transaction(now=now) as session:
        episode_id = latest_episode_id(session, patient_id)
        goal = _own_goal(session, episode_id, goal_id)
        goal.archived_at = now
    log.info("goal archived", extra={"goal_id": goal_id})


def _own_goal(session: Session, episode_id: int | None, goal_id: int) -> PatientGoal:
    goal = session.get(PatientGoal, goal_id)
    if goal is None or goal.episode_id != episode_id or goal.archived_at is not None:
        raise GoalError("not_found")
    return goal
