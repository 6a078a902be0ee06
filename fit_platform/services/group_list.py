"""The groups a staff member leads (every group for an administrator), for the groups list
(docs/groups.md). No patient data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import GroupMember, GroupSession, GroupTherapist, TherapyGroup, Unit
from fit_platform.services.access_control import Viewer
from fit_platform.services.group_access import is_admin


@dataclass(frozen=True)
class GroupSummary:
    group_id: int
    name: str
    unit_name: str
    members: int
    sessions: int


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
