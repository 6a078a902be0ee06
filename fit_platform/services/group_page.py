"""The group page: its therapists, members, the unit's patients who may join, and the
per-session aggregates (docs/groups.md; the figures in `group_figures.py`). It shows members'
names, so every member shown gets one access-log row (`group_view`); a patient offered in the
"Add a member" list is not in the group, and gets a row that says so (`group_member_picker`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, GroupTherapist, Patient, Staff, TherapyGroup, Unit
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.services.access_control import Viewer
from fit_platform.services.access_log import record_bulk_access
from fit_platform.services.group_access import led_group
from fit_platform.services.group_figures import SessionRow, session_rows
from fit_platform.services.group_members import Member, current_members

GROUP_VIEW = "group_view"
# A name in the "Add a member" list is a read of that patient's name, but not "on your group's
# page": the patient is in no group (yet). Her "who has looked" list says what was seen.
GROUP_MEMBER_PICKER = "group_member_picker"


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


def _viewer_role(viewer: Viewer, group: TherapyGroup) -> Role:
    if any(role is Role.THERAPIST and unit == group.unit_id for role, unit in viewer.roles):
        return Role.THERAPIST
    return Role.ADMIN


def _candidates(session: Session, group: TherapyGroup, members: Sequence[Member]) -> list[Member]:
    taken = {m.episode_id for m in members}
    rows = session.execute(
        select(Episode.id, Patient.id, Patient.display_name, Episode.started_on)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Episode.unit_id == group.unit_id, Episode.status == EpisodeStatus.ACTIVE)
        .order_by(Patient.display_name, Episode.id)
    ).all()
    return [Member(*row) for row in rows if row[0] not in taken]


def group_view(
    db: Database,
    viewer: Viewer,
    group_id: int,
    now: dt.datetime,
    *,
    with_candidates: bool = True,
) -> GroupView | None:
    """The group page for one of its therapists or an administrator, else None.

    Shows members' names (one `group_view` access-log row each) and, with `with_candidates`
    (the group page's "Add a member" list), the names of the unit's patients who may join (one
    `group_member_picker` row each). The sessions carry aggregates only, never one answer.
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
        candidates = _candidates(session, group, members) if with_candidates else []
        sessions = session_rows(session, group, now)
        role = _viewer_role(viewer, group)
        record_bulk_access(
            session,
            staff_id=viewer.staff_id,
            reads=[(m.patient_id, group.unit_id, role) for m in members],
            action=GROUP_VIEW,
            now=now,
        )
        if candidates:
            record_bulk_access(
                session,
                staff_id=viewer.staff_id,
                reads=[(m.patient_id, group.unit_id, role) for m in candidates],
                action=GROUP_MEMBER_PICKER,
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
