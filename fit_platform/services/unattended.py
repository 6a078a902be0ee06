"""Open episodes with no active responsible behandler ("unattended"): the responsible
behandler was deactivated (people leave suddenly), no longer holds a therapist role in the
episode's unit (moved to another unit), or nobody is responsible.

Nobody reads such a patient's answers as their own any more, so the rule is one SQL condition
(:func:`has_active_responsible`) that every place asks the same way:

- the admin start page and the unit's episodes page count and mark them (no patient data on
  the start page: counts per unit only);
- the unit's leads see them on their caseload, and a risk signal of such a patient is shown
  to the leads at once instead of after the escalation time (`caseload.overdue_risk_signals`),
  and the pre-session view marks it overdue at once too (`presession_queries.presession_read`);
- the deactivation step lists what the person leaves behind (`staff_handover.py`);
- the patient pages promise "your therapist" reads her answers and comments only while she
  has one, and "someone at your clinic" otherwise (the link's own read, `link_context.py`,
  and :func:`episode_has_active_responsible`; the wording: `web/patient/readers.py`).

Where the unit has no active lead either, nobody at all sees her answers, and the pages'
"someone at your clinic" would be untrue, a risk answer above all ("will see your answer and
talk with you about it"). So nothing new asks her to answer: the scheduler creates no
invitation and queues no reminder for such an episode (:func:`someone_sees_answers`, in
`enqueue_candidates.py` and `reminders.py`) until a therapist is responsible again or the unit has a
lead; the admin pages say so where they say that nobody sees the patient.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Exists, Select, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    EpisodeTherapist,
    Patient,
    Signal,
    Staff,
    StaffRole,
    Unit,
)
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.services.access_control import THERAPIST_ROLE
from fit_platform.services.risk_waiting import risk_not_acknowledged


def _responsible_with_role(unit_id: Any, linked: Any = None) -> Select[int]:
    """The episode ids of the responsible links whose staff member is active and holds a
    therapist role in ``unit_id`` (a column of the enclosing query, or of ``linked``, an
    Episode alias joined here first so the role's join can name it)."""
    query = select(EpisodeTherapist.episode_id).join(Staff, Staff.id == EpisodeTherapist.staff_id)
    if linked is not None:
        query = query.join(linked, linked.id == EpisodeTherapist.episode_id)
    return query.join(
        StaffRole,
        and_(
            StaffRole.staff_id == EpisodeTherapist.staff_id,
            StaffRole.role == THERAPIST_ROLE,
            StaffRole.unit_id == unit_id,
        ),
    ).where(EpisodeTherapist.responsible.is_(True), Staff.is_active.is_(True))


def has_active_responsible(episode_id: Any, unit_id: Any = None) -> Exists:
    """EXISTS an active staff member responsible for ``episode_id`` (a column or a value) who
    still holds a therapist role in its unit. One whose role there was taken away (moved to
    another unit) no longer sees the patient (`access_control.visible_episodes`), so the
    episode is as unattended as after a deactivation: the leads see it, the admin pages count
    it, and the patient's pages no longer promise "your therapist". Give the episode's
    ``unit_id`` column where the query has it (no second read of the episode). For one
    episode or a page's few; the tick asks it of every active episode as a set instead
    (`episodes_with_active_responsible`)."""
    linked = None
    if unit_id is None:
        linked = aliased(Episode)
        unit_id = linked.unit_id
    return (
        _responsible_with_role(unit_id, linked)
        .where(EpisodeTherapist.episode_id == episode_id)
        .exists()
    )


def episode_has_active_responsible(session: Session, episode_id: int) -> bool:
    """Whether an active staff member is responsible for the episode (one statement)."""
    return bool(session.scalar(select(has_active_responsible(episode_id))))


def unit_has_lead(unit_id: Any) -> Exists:
    """EXISTS an active staff member leading ``unit_id`` (a column or a value)."""
    return (
        select(StaffRole.id)
        .join(Staff, Staff.id == StaffRole.staff_id)
        .where(
            StaffRole.role == Role.UNIT_LEAD,
            StaffRole.unit_id == unit_id,
            Staff.is_active.is_(True),
        )
        .exists()
    )


def episodes_with_active_responsible() -> Select[int]:
    """The ids of the episodes `has_active_responsible` holds for, as one uncorrelated set:
    read once per statement (a hashed NOT IN), where the correlated form is a sub-plan per
    episode (0.40 against 0.12 s over 100 000 episodes of a unit without a lead)."""
    linked = aliased(Episode)
    return _responsible_with_role(linked.unit_id, linked)


def nobody_sees_answers() -> Select[int]:
    """The active episodes with no active responsible therapist in a unit without an active
    lead: nobody sees their patients' answers. Usually none; read once per statement."""
    episode = aliased(Episode)
    return select(episode.id).where(
        episode.status == EpisodeStatus.ACTIVE,
        episode.id.not_in(episodes_with_active_responsible()),
        ~unit_has_lead(episode.unit_id),
    )


def someone_sees_answers(
    episode_id: ColumnElement[int] | InstrumentedAttribute[int],
) -> ColumnElement[bool]:
    """Someone sees the answers of ``episode_id`` (a column): an active therapist is
    responsible for it, or its unit has an active lead. Written as "not among the few nobody
    sees", which the database works out once per statement (an anti-join), not per row: the
    scheduler's tick asks it of every candidate row (benchmarks/bench_scheduler_tick.py)."""
    return episode_id.not_in(nobody_sees_answers())


@dataclass(frozen=True)
class UnitCount:
    unit_id: int
    unit_name: str
    episodes: int
    # Without an active lead, nobody at all sees these patients.
    has_lead: bool


def unattended_by_unit(db: Database) -> list[UnitCount]:
    """How many open episodes of each unit have no active responsible behandler (only units
    with at least one), for the admin start page: counts, never a patient."""
    with db.session() as session:
        rows = session.execute(
            select(Unit.id, Unit.name, func.count(Episode.id), unit_has_lead(Unit.id))
            .join(Episode, Episode.unit_id == Unit.id)
            .where(
                Episode.status == EpisodeStatus.ACTIVE,
                ~has_active_responsible(Episode.id, Episode.unit_id),
            )
            .group_by(Unit.id, Unit.name)
            .order_by(Unit.name)
        ).all()
    return [
        UnitCount(unit_id, name, count, bool(has_lead)) for unit_id, name, count, has_lead in rows
    ]


@dataclass(frozen=True)
class UnattendedEpisode:
    episode_id: int
    patient_name: str
    unit_name: str
    open_signals: int
    unacknowledged_risk: int


def unattended_episodes(session: Session, unit_ids: Iterable[int]) -> list[UnattendedEpisode]:
    """The open episodes of `unit_ids` with no active responsible behandler, with their open
    signals, for the units' leads (who may read every patient of the unit they lead)."""
    unit_ids = list(unit_ids)
    if not unit_ids:
        return []
    open_signals = (
        select(func.count(Signal.id))
        .where(Signal.episode_id == Episode.id, Signal.resolved_at.is_(None))
        .scalar_subquery()
    )
    risk = (
        select(func.count(Signal.id))
        .where(Signal.episode_id == Episode.id, risk_not_acknowledged())
        .scalar_subquery()
    )
    rows = session.execute(
        select(Episode.id, Patient.display_name, Unit.name, open_signals, risk)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Unit, Unit.id == Episode.unit_id)
        .where(
            Episode.unit_id.in_(unit_ids),
            Episode.status == EpisodeStatus.ACTIVE,
            ~has_active_responsible(Episode.id, Episode.unit_id),
        )
        .order_by(Unit.name, Patient.display_name, Episode.id)
    ).all()
    return [UnattendedEpisode(*row) for row in rows]
