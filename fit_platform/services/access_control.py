"""Who may see which patient: one query filter, used by every read of patient data.

A therapist sees the episodes they are responsible for or that are shared with them
(``EpisodeTherapist``); a unit lead sees the episodes of the units they lead; nobody else sees
a person. Admins and service developers hold no clinical role, so they see nothing unless they
also hold one. The rule lives in :func:`visible_episodes` so the caseload, the pre-session view,
the signal workflow and the samvalg record cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnClause, Exists, Select, and_, false, literal_column, or_, select
from sqlalchemy.orm import Session

from fit_platform.db.models import Episode, EpisodeTherapist, StaffRole
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.services.access_log import record_access

CLINICAL_ROLES = frozenset({Role.THERAPIST, Role.UNIT_LEAD})
# The therapist role as a constant in the SQL text, not a bound value: the patient link's
# prepared read (db/direct_read.py) passes only its own parameters.
THERAPIST_ROLE: ColumnClause[str] = literal_column(f"'{Role.THERAPIST.value}'")


class Viewer(Protocol):
    """The logged-in staff member as services need them (``StaffIdentity`` fits)."""

    @property
    def staff_id(self) -> int: ...

    @property
    def roles(self) -> frozenset[tuple[Role, int | None]]: ...


@dataclass(frozen=True)
class StaffViewer:
    """A plain `Viewer` for the CLI, the scheduler and tests."""

    staff_id: int
    roles: frozenset[tuple[Role, int | None]]


def led_unit_ids(viewer: Viewer) -> frozenset[int]:
    return frozenset(unit for role, unit in viewer.roles if role is Role.UNIT_LEAD and unit)


def therapist_unit_ids(viewer: Viewer) -> frozenset[int]:
    return frozenset(unit for role, unit in viewer.roles if role is Role.THERAPIST and unit)


def holds_therapist_role_in(staff_id: Any, unit_id: Any) -> Exists:
    """EXISTS a therapist role of ``staff_id`` in ``unit_id`` (columns of the enclosing query,
    or values): being linked to an episode is not enough once the role in its unit is gone."""
    return (
        select(StaffRole.id)
        .where(
            StaffRole.staff_id == staff_id,
            StaffRole.role == THERAPIST_ROLE,
            StaffRole.unit_id == unit_id,
        )
        .exists()
    )


def has_clinical_role(viewer: Viewer) -> bool:
    return any(role in CLINICAL_ROLES for role, _unit in viewer.roles)


def visible_episodes(viewer: Viewer) -> Select[int]:
    """The ids of the episodes whose patient data `viewer` may read, as a sub-select.

    Use as ``Episode.id.in_(visible_episodes(viewer))``. A therapist role only counts through
    ``EpisodeTherapist``: holding the role in a unit does not open that unit's patients. And
    only in a unit where the viewer holds it: a therapist whose role there was taken away
    (moved to another unit) no longer reads its patients, though still linked to them
    until an administrator transfers the episodes (access is by unit).
    """
    conditions = []
    therapist_units = therapist_unit_ids(viewer)
    if therapist_units:
        conditions.append(
            and_(
                Episode.id.in_(
                    select(EpisodeTherapist.episode_id).where(
                        EpisodeTherapist.staff_id == viewer.staff_id
                    )
                ),
                Episode.unit_id.in_(therapist_units),
            )
        )
    units = led_unit_ids(viewer)
    if units:
        conditions.append(Episode.unit_id.in_(units))
    return select(Episode.id).where(or_(*conditions) if conditions else false())


def treats(staff_id: int, episode: Episode) -> bool:
    """True when `staff_id` is one of the episode's therapists: the rule for who plans in an
    episode (appointments, schedule, contact details), which `treating_episode` applies to a
    change. Pages use it to offer a form only to those the service will take it from; a unit
    lead reads. The episode's ``therapists`` must be loaded."""
    return any(link.staff_id == staff_id for link in episode.therapists)


def access_role(viewer: Viewer, episode: Episode) -> Role:
    """The role through which `viewer` sees `episode` (logged with every read).

    The episode's ``therapists`` must be loaded; being on the episode wins over leading the unit.
    """
    return Role.THERAPIST if treats(viewer.staff_id, episode) else Role.UNIT_LEAD


def visible_episode(session: Session, viewer: Viewer, episode_id: int) -> Episode | None:
    """The episode if `viewer` may see it, else None (the caller answers 404 either way)."""
    return session.scalar(
        select(Episode).where(Episode.id == episode_id, Episode.id.in_(visible_episodes(viewer)))
    )


class EpisodeClosed(Exception):
    """The episode has ended: it stays readable (it is part of the record), but nothing that
    implies further treatment is planned or recorded in it. Raised inside the transaction, so
    the change, its access-log row and its form claim are all rolled back."""

    def __init__(self, episode_id: int, ended_on: dt.date | None) -> None:
        super().__init__(episode_id)
        self.episode_id = episode_id
        self.ended_on = ended_on


def refuse_if_closed(episode_id: int, status: EpisodeStatus, ended_on: dt.date | None) -> None:
    """`EpisodeClosed` unless the episode is still active (every change a therapist makes on an
    episode's pages passes here)."""
    if status is not EpisodeStatus.ACTIVE:
        raise EpisodeClosed(episode_id, ended_on)


def treating_episode(
    session: Session,
    staff_id: int,
    episode_id: int,
    *,
    action: str,
    now: dt.datetime,
    change: bool = False,
) -> Episode | None:
    """The episode if `staff_id` is one of its therapists (unit leads read; they do not plan
    appointments or schedules), with one access-log row for `action`; else None. With
    `change`, an ended episode raises `EpisodeClosed` (reading it stays possible)."""
    episode = session.scalar(
        select(Episode)
        .join(EpisodeTherapist, EpisodeTherapist.episode_id == Episode.id)
        .where(
            Episode.id == episode_id,
            EpisodeTherapist.staff_id == staff_id,
            holds_therapist_role_in(staff_id, Episode.unit_id),
        )
    )
    if episode is not None:
        record_access(
            session,
            staff_id=staff_id,
            role=Role.THERAPIST,
            patient_id=episode.patient_id,
            unit_id=episode.unit_id,
            action=action,
            now=now,
        )
        if change:
            refuse_if_closed(episode.id, episode.status, episode.ended_on)
    return episode
