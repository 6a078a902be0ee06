"""Which staff pages can do something for a person, for the navigation to offer only those.

A role alone is not always enough: an administrator may create groups in any unit, but on a
service with no unit yet the groups page could only say "You lead no groups yet" and refuse
to create one. The navigation asks here instead of linking to a dead end.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from fit_platform.db import Database
from fit_platform.db.models import GroupTherapist, TherapyGroup, Unit
from fit_platform.services.access_control import Viewer
from fit_platform.services.group_access import units_where_may_create


def groups_pages_can_be_used(db: Database, viewer: Viewer) -> bool:
    """True when `viewer` leads a group, sees every group (an administrator, once there is
    one), or may create a group in a unit that is not archived. Read-only; one query."""
    allowed = units_where_may_create(viewer)
    if allowed is None:  # an administrator: any open unit, or any group to look at
        may_create = exists().where(Unit.archived_at.is_(None))
        sees_a_group = exists().where(TherapyGroup.id.is_not(None))
    else:
        may_create = exists().where(Unit.id.in_(allowed or {0}), Unit.archived_at.is_(None))
        sees_a_group = exists().where(GroupTherapist.staff_id == viewer.staff_id)
    with db.session() as session:
        return bool(session.scalar(select(may_create | sees_a_group)))
