"""What archiving a unit leaves behind, for the step before it (counts only, no patient): the
open episodes, how many therapists are responsible for them, their open signals and
unacknowledged risk signals, and the unanswered questionnaires the archiving cancels
(`docs/administration.md`, "Archiving a unit")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from fit_platform.db import Database
from fit_platform.db.models import Episode, EpisodeTherapist, Invitation, Signal
from fit_platform.domain.codes import EpisodeStatus
from fit_platform.domain.signals import SignalCode
from fit_platform.services.invitation_common import OPEN_STATES


@dataclass(frozen=True)
class ArchivePreview:
    open_episodes: int
    therapists: int
    open_signals: int
    unacknowledged_risk: int
    unanswered: int


def archive_preview(db: Database, unit_id: int) -> ArchivePreview:
    """The counts the archive step shows for `unit_id` (all zero for an unknown unit)."""
    open_episode = and_(Episode.unit_id == unit_id, Episode.status == EpisodeStatus.ACTIVE)
    with db.session() as session:
        episodes = session.scalar(select(func.count()).select_from(Episode).where(open_episode))
        therapists = session.scalar(
            select(func.count(func.distinct(EpisodeTherapist.staff_id)))
            .join(Episode, Episode.id == EpisodeTherapist.episode_id)
            .where(open_episode, EpisodeTherapist.responsible.is_(True))
        )
        risk = case(
            (
                and_(Signal.code == SignalCode.RISK_ANSWER.value, Signal.acknowledged_at.is_(None)),
                1,
            ),
            else_=0,
        )
        signals, risky = session.execute(
            select(func.count(Signal.id), func.sum(risk))
            .join(Episode, Episode.id == Signal.episode_id)
            .where(open_episode, Signal.resolved_at.is_(None))
        ).one()
        unanswered = session.scalar(
            select(func.count(Invitation.id))
            .join(Episode, Episode.id == Invitation.episode_id)
            .where(Episode.unit_id == unit_id, Invitation.state.in_(OPEN_STATES))
        )
    return ArchivePreview(
        episodes or 0, therapists or 0, signals or 0, int(risky or 0), unanswered or 0
    )
