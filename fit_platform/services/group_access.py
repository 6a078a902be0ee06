"""Who may do what with a group in a day programme (docs/groups.md), and the refusal the
web layer translates.

- **Create a group**: a therapist of the unit, or an administrator. The group's therapists are
  chosen among the unit's therapists.
- **Open a group, change its members, record a session**: the group's therapists and
  administrators. Anyone else gets None (the page answers 404, as for a patient one may not see).
- **Individual answers** are never read by the group services: the group page shows per-session
  aggregates with cells from fewer than five patients hidden (`domain/groups.py`). A member's
  answer is on their own therapist's pre-session view, under the usual rule
  (`visible_episodes`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db.models import GroupTherapist, TherapyGroup
from fit_platform.domain.codes import Role
from fit_platform.services.access_control import Viewer


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
    TOO_OLD = "too_old"
    BEFORE_THE_GROUP = "before_the_group"
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
