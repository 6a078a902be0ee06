"""Set-based reads the caseload is built from that other services share: one statement each,
whatever the number of patients (the caseload's query count stays flat)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from fit_platform.db.models import AccessLog, ConsentEvent, Episode, SharedDecision, Signal
from fit_platform.domain.codes import ConsentEventKind, EpisodeStatus
from fit_platform.domain.samvalg_review import DecisionDates, reviews_due
from fit_platform.services.risk_waiting import risk_not_acknowledged
from fit_platform.services.unattended import has_active_responsible


def open_fewer_wishes(session: Session, ids: list[int]) -> dict[int, dt.datetime]:
    """Per episode, the latest "fewer questionnaires" wish that no change to the episode's
    schedule has followed (one statement). The patient was told their therapist sees the wish
    and agrees a new plan; changing or switching off a rule of the plan (the `schedule_change`
    access-log row, the plan's only dated change) is that plan, so the wish stops being open
    then. A rule added (`schedule_rule_added`) asks for more, not fewer: the wish stays open."""
    plan_changed_since = (
        select(AccessLog.id)
        .where(
            AccessLog.patient_id == Episode.patient_id,
            AccessLog.action == "schedule_change",
            AccessLog.at >= ConsentEvent.created_at,
        )
        .exists()
    )
    return {
        episode_id: at
        for episode_id, at in session.execute(
            select(Episode.id, func.max(ConsentEvent.created_at))
            .join(ConsentEvent, ConsentEvent.patient_id == Episode.patient_id)
            .where(
                Episode.id.in_(ids),
                ConsentEvent.kind == ConsentEventKind.FREQUENCY_REDUCED,
                ~plan_changed_since,
            )
            .group_by(Episode.id)
        )
    }


def overdue_risk_signals(raised_before: dt.datetime) -> Select[int]:
    """Open risk signals still unacknowledged, raised before `raised_before` or already
    escalated by the scheduler (a select). A patient with no active responsible behandler has
    nobody to wait for: their risk signals are overdue at once (`services/unattended.py`)."""
    return select(Signal.id).where(
        risk_not_acknowledged(),
        or_(
            Signal.raised_at <= raised_before,
            Signal.escalated_at.is_not(None),
            ~has_active_responsible(Signal.episode_id),
        ),
    )


def reviews_due_by_episode(
    session: Session, ids: list[int], today: dt.date, zone: ZoneInfo
) -> dict[int, dt.date]:
    """Per open episode with a samvalg decision due to be looked at again
    (`domain/samvalg_review.py`), the earliest such review date (one statement: the decisions
    of the episodes where a review date has come)."""
    # A record withdrawn as written in error is neither due nor a look again at another.
    current = SharedDecision.withdrawn_at.is_(None)
    come = select(SharedDecision.episode_id).where(
        SharedDecision.episode_id.in_(ids), SharedDecision.review_on <= today, current
    )
    by_episode: dict[int, list[DecisionDates]] = defaultdict(list)
    for episode_id, decision_id, review_on, recorded_at in session.execute(
        select(
            SharedDecision.episode_id,
            SharedDecision.id,
            SharedDecision.review_on,
            SharedDecision.recorded_at,
        )
        .join(Episode, Episode.id == SharedDecision.episode_id)
        .where(SharedDecision.episode_id.in_(come), Episode.status == EpisodeStatus.ACTIVE, current)
    ):
        by_episode[episode_id].append(
            DecisionDates(decision_id, review_on, recorded_at.astimezone(zone).date())
        )
    found: dict[int, dt.date] = {}
    for episode_id, decisions in by_episode.items():
        due = reviews_due(decisions, today)
        dates = [d.review_on for d in decisions if d.id in due and d.review_on is not None]
        if dates:
            found[episode_id] = min(dates)
    return found
