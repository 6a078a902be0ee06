"""Groups in a day programme: creating a group, its members, and the group page with its
aggregates (docs/groups.md). Recording a session and inviting those who attended is in
`group_sessions.py`; the figures per session in `group_figures.py`.

Who may do what:

- **Create a group**: a therapist of the unit, or an administrator. The group's therapists are
  chosen among the unit's therapists.
- **Open a group, change its members, record a session**: the group's therapists and
  administrators. Anyone else gets None (the page answers 404, as for a patient one may not see).
- **Individual answers** are never read here: the group page shows per-session aggregates with
  cells from fewer than five patients hidden (`domain/groups.py`). A member's answer is on
  their own therapist's pre-session view, under the usual rule (`visible_episodes`).

Every page that shows members' names writes one access-log row per patient shown
(`group_view`); every change writes one log line with ids only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    GroupMember,
    GroupSession,
    GroupTherapist,
    Patient,
    Staff,
    StaffRole,
    TherapyGroup,
    Unit,
)
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.domain.instruments import Instrument, RecommendedUse, default_instruments
from fit_platform.services.access_control import Viewer
from fit_platform.services.access_log import record_bulk_access
from fit_platform.services.group_figures import SessionRow, session_rows
from fit_platform.services.unit_instruments import schedulable_for_unit

log = logging.getLogger("fit_platform.services.groups")

NAME_MAX = 200
GROUP_VIEW = "group_view"


class GroupError(Exception):
    """A refused change; ``code`` is stable and the web layer translates it."""

    NOT_FOUND = "not_found"
    NAME_REQUIRED = "name_required"
    NAME_TAKEN = "name_taken"
    NO_THERAPIST = "no_therapist"
    NOT_A_THERAPIST = "not_a_therapist"
    NO_FORM = "no_form"
    NOT_IN_UNIT = "not_in_unit"
    IN_THE_FUTURE = "in_the_future"
    NO_ONE_ATTENDED = "no_one_attended"
    NOT_A_MEMBER = "not_a_member"
    ALREADY_RECORDED = "already_recorded"

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def is_admin(viewer: Viewer) -> bool:
    return any(role is Role.ADMIN for role, _unit in viewer.roles)


def units_where_may_create(viewer: Viewer) -> frozenset[int] | None:
    """The units where `viewer` may create a group; None means every unit (an administrator)."""
    if is_admin(viewer):
        return None
    return frozenset(unit for role, unit in viewer.roles if role is Role.THERAPIST and unit)


def group_forms(session: Session, unit_id: int) -> list[Instrument]:
    """The forms a group in this unit may use: enabled for the unit, schedulable, and meant
    for after a group session."""
    return [
        instrument
        for instrument in schedulable_for_unit(session, unit_id)
        if instrument.recommended_use is RecommendedUse.AFTER_GROUP_SESSION
    ]


# ------------------------------------------------------------------------------ listings


@dataclass(frozen=True)
class UnitChoice:
    """A unit a new group can belong to, with its therapists and group forms."""

    unit_id: int
    name: str
    therapists: tuple[tuple[int, str], ...]
    forms: tuple[Instrument, ...]


@dataclass(frozen=True)
class GroupSummary:
    group_id: int
    name: str
    unit_name: str
    members: int
    sessions: int


def new_group_choices(db: Database, viewer: Viewer) -> list[UnitChoice]:
    """The units `viewer` may create a group in (not archived), with what the form offers."""
    allowed = units_where_may_create(viewer)
    with db.session() as session:
        query = select(Unit).where(Unit.archived_at.is_(None)).order_by(Unit.name)
        if allowed is not None:
            query = query.where(Unit.id.in_(allowed or {0}))
        result = []
        for unit in session.scalars(query):
            therapists = session.execute(
                select(Staff.id, Staff.display_name)
                .join(StaffRole, StaffRole.staff_id == Staff.id)
                .where(
                    StaffRole.role == Role.THERAPIST,
                    StaffRole.unit_id == unit.id,
                    Staff.is_active.is_(True),
                )
                .order_by(Staff.display_name, Staff.id)
            ).all()
            result.append(
                UnitChoice(
                    unit.id,
                    unit.name,
                    tuple((row.id, row.display_name) for row in therapists),
                    tuple(group_forms(session, unit.id)),
                )
            )
    return result


def groups_for(db: Database, viewer: Viewer) -> list[GroupSummary]:
    """The groups `viewer` leads (every group for an administrator). No patient data."""
    with db.session() as session:
        query = select(TherapyGroup, Unit.name).join(Unit, Unit.id == TherapyGroup.unit_id)
        if not is_admin(viewer):
            query = query.where(
                TherapyGroup.id.in_(
                    select(GroupTherapist.group_id).where(
                        GroupTherapist.staff_id == viewer.staff_id
                    )
                )
            )
        members = (
            select(func.count())
            .where(GroupMember.group_id == TherapyGroup.id, GroupMember.removed_at.is_(None))
            .scalar_subquery()
        )
        sessions = (
            select(func.count()).where(GroupSession.group_id == TherapyGroup.id).scalar_subquery()
        )
        rows = session.execute(
            query.add_columns(members, sessions).order_by(Unit.name, TherapyGroup.name)
        ).all()
        return [
            GroupSummary(group.id, group.name, unit_name, member_count, session_count)
            for group, unit_name, member_count, session_count in rows
        ]


# ------------------------------------------------------------------------------ creating


def create_group(
    db: Database,
    viewer: Viewer,
    *,
    unit_id: int,
    name: str,
    instrument_id: str,
    therapist_ids: Iterable[int],
    now: dt.datetime,
) -> int:
    """Create a group in `unit_id` led by `therapist_ids` (therapists of that unit); returns
    its id. Only a therapist of the unit or an administrator may. Logs ids only."""
    name = name.strip()
    leaders = sorted(set(therapist_ids))
    if not name:
        raise GroupError(GroupError.NAME_REQUIRED)
    if len(name) > NAME_MAX:
        raise GroupError(GroupError.NAME_REQUIRED)
    if not leaders:
        raise GroupError(GroupError.NO_THERAPIST)
    allowed = units_where_may_create(viewer)
    if allowed is not None and unit_id not in allowed:
        raise GroupError(GroupError.NOT_FOUND)
    try:
        group_id = _insert_group(db, viewer, unit_id, name, instrument_id, leaders, now)
    except IntegrityError:
        # The same name saved at the same moment (a double submit): the unique key decided.
        raise GroupError(GroupError.NAME_TAKEN) from None
    log.info(
        "group created",
        extra={"group_id": group_id, "unit_id": unit_id, "staff_id": viewer.staff_id},
    )
    return group_id


def _insert_group(
    db: Database,
    viewer: Viewer,
    unit_id: int,
    name: str,
    instrument_id: str,
    leaders: Sequence[int],
    now: dt.datetime,
) -> int:
    with db.transaction(now=now) as session:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.archived_at is not None:
            raise GroupError(GroupError.NOT_FOUND)
        if instrument_id not in {form.id for form in group_forms(session, unit_id)}:
            raise GroupError(GroupError.NO_FORM)
        unit_therapists = set(
            session.scalars(
                select(StaffRole.staff_id).where(
                    StaffRole.role == Role.THERAPIST, StaffRole.unit_id == unit_id
                )
            )
        )
        if not set(leaders) <= unit_therapists:
            raise GroupError(GroupError.NOT_A_THERAPIST)
        taken = session.scalar(
            select(TherapyGroup.id).where(
                TherapyGroup.unit_id == unit_id, TherapyGroup.name == name
            )
        )
        if taken is not None:
            raise GroupError(GroupError.NAME_TAKEN)
        group = TherapyGroup(
            unit_id=unit_id,
            name=name,
            instrument_id=instrument_id,
            created_by=viewer.staff_id,
            created_at=now,
        )
        group.therapists = [GroupTherapist(staff_id=staff_id) for staff_id in leaders]
        session.add(group)
        session.flush()
        return group.id


# ------------------------------------------------------------------------------ the group page


@dataclass(frozen=True)
class Member:
    episode_id: int
    patient_id: int
    name: str


@dataclass(frozen=True)
class GroupView:
    group_id: int
    name: str
    unit_id: int
    unit_name: str
    form: Instrument | None
    instrument_id: str
    therapists: tuple[str, ...]
    members: tuple[Member, ...]
    candidates: tuple[Member, ...]
    sessions: tuple[SessionRow, ...]


def led_group(session: Session, viewer: Viewer, group_id: int) -> TherapyGroup | None:
    group = session.get(TherapyGroup, group_id)
    if group is None:
        return None
    if is_admin(viewer):
        return group
    leads = session.scalar(
        select(GroupTherapist.staff_id).where(
            GroupTherapist.group_id == group_id, GroupTherapist.staff_id == viewer.staff_id
        )
    )
    return group if leads is not None else None


def _viewer_role(viewer: Viewer, group: TherapyGroup) -> Role:
    if any(role is Role.THERAPIST and unit == group.unit_id for role, unit in viewer.roles):
        return Role.THERAPIST
    return Role.ADMIN


def current_members(session: Session, group_id: int) -> list[Member]:
    rows = session.execute(
        select(Episode.id, Patient.id, Patient.display_name)
        .join(GroupMember, GroupMember.episode_id == Episode.id)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(GroupMember.group_id == group_id, GroupMember.removed_at.is_(None))
        .order_by(Patient.display_name, Episode.id)
    ).all()
    return [Member(*row) for row in rows]


def _candidates(session: Session, group: TherapyGroup, members: Sequence[Member]) -> list[Member]:
    taken = {m.episode_id for m in members}
    rows = session.execute(
        select(Episode.id, Patient.id, Patient.display_name)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Episode.unit_id == group.unit_id, Episode.status == EpisodeStatus.ACTIVE)
        .order_by(Patient.display_name, Episode.id)
    ).all()
    return [Member(*row) for row in rows if row[0] not in taken]


def group_view(db: Database, viewer: Viewer, group_id: int, now: dt.datetime) -> GroupView | None:
    """The group page for one of its therapists or an administrator, else None.

    Shows members' and candidates' names, so each patient shown gets one access-log row
    (`group_view`). The sessions carry aggregates only, never one member's answer.
    """
    with db.transaction(now=now) as session:
        group = led_group(session, viewer, group_id)
        if group is None:
            return None
        unit = session.get(Unit, group.unit_id)
        therapists = session.scalars(
            select(Staff.display_name)
            .join(GroupTherapist, GroupTherapist.staff_id == Staff.id)
            .where(GroupTherapist.group_id == group_id)
            .order_by(Staff.display_name)
        ).all()
        members = current_members(session, group_id)
        candidates = _candidates(session, group, members)
        sessions = session_rows(session, group)
        role = _viewer_role(viewer, group)
        record_bulk_access(
            session,
            staff_id=viewer.staff_id,
            reads=[(m.patient_id, group.unit_id, role) for m in (*members, *candidates)],
            action=GROUP_VIEW,
            now=now,
        )
        return GroupView(
            group_id=group.id,
            name=group.name,
            unit_id=group.unit_id,
            unit_name=unit.name if unit else "",
            form=default_instruments().get(group.instrument_id),
            instrument_id=group.instrument_id,
            therapists=tuple(therapists),
            members=tuple(members),
            candidates=tuple(candidates),
            sessions=tuple(sessions),
        )


# ------------------------------------------------------------------------------ members


def add_member(
    db: Database, viewer: Viewer, group_id: int, episode_id: int, now: dt.datetime
) -> None:
    """Add the patient of `episode_id` (an active episode in the group's unit) to the group."""
    with db.transaction(now=now) as session:
        group = led_group(session, viewer, group_id)
        if group is None:
            raise GroupError(GroupError.NOT_FOUND)
        episode = session.get(Episode, episode_id)
        if (
            episode is None
            or episode.unit_id != group.unit_id
            or episode.status is not EpisodeStatus.ACTIVE
        ):
            raise GroupError(GroupError.NOT_IN_UNIT)
        member = session.scalar(
            select(GroupMember).where(
                GroupMember.group_id == group_id, GroupMember.episode_id == episode_id
            )
        )
        if member is None:
            session.add(GroupMember(group_id=group_id, episode_id=episode_id, added_at=now))
        elif member.removed_at is not None:
            member.removed_at = None
            member.added_at = now
    log.info(
        "group member added",
        extra={"group_id": group_id, "episode_id": episode_id, "staff_id": viewer.staff_id},
    )


def remove_member(
    db: Database, viewer: Viewer, group_id: int, episode_id: int, now: dt.datetime
) -> None:
    """Take a member out of the group; the sessions they attended stay as recorded."""
    with db.transaction(now=now) as session:
        if led_group(session, viewer, group_id) is None:
            raise GroupError(GroupError.NOT_FOUND)
        member = session.scalar(
            select(GroupMember).where(
                GroupMember.group_id == group_id,
                GroupMember.episode_id == episode_id,
                GroupMember.removed_at.is_(None),
            )
        )
        if member is None:
            raise GroupError(GroupError.NOT_A_MEMBER)
        member.removed_at = now
    log.info(
        "group member removed",
        extra={"group_id": group_id, "episode_id": episode_id, "staff_id": viewer.staff_id},
    )
