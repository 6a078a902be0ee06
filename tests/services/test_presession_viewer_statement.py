"""The pre-session view's episode read is built once per viewer and role set: a viewer whose
roles change is read with the new roles at once (in the same process), and two viewers never
share a read."""

from __future__ import annotations

import datetime as dt

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.services.presession import presession
from fit_platform.services.staff_auth import StaffIdentity
from tests.support.factories import NOW, make_staff, make_world


def _viewer(staff_id: int, *roles: tuple[Role, int | None]) -> StaffIdentity:
    return StaffIdentity(staff_id, "Viewer", frozenset(roles), 1, NOW + dt.timedelta(hours=1))


def test_a_unit_lead_who_loses_the_role_no_longer_sees_the_unit_at_the_next_view(
    db: Database,
) -> None:
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    as_lead = _viewer(lead.id, (Role.UNIT_LEAD, world.unit_id))
    view = presession(db, as_lead, world.episode_id, now=NOW)
    assert view is not None and view.role is Role.UNIT_LEAD
    assert presession(db, _viewer(lead.id), world.episode_id, now=NOW) is None
    assert (
        presession(db, _viewer(lead.id, (Role.THERAPIST, world.unit_id)), world.episode_id, now=NOW)
        is None
    )
    # Back in the role: seen again; the episode's own therapist sees it as therapist.
    assert presession(db, as_lead, world.episode_id, now=NOW) is not None
    own = _viewer(world.therapist_id, (Role.THERAPIST, world.unit_id))
    view = presession(db, own, world.episode_id, now=NOW)
    assert view is not None and view.role is Role.THERAPIST


def test_another_therapist_with_the_same_roles_does_not_see_the_episode(db: Database) -> None:
    world = make_world(db)
    other = make_staff(db, (Role.THERAPIST, world.unit_id))
    own = _viewer(world.therapist_id, (Role.THERAPIST, world.unit_id))
    assert presession(db, own, world.episode_id, now=NOW) is not None
    assert presession(db, _viewer(other.id, *own.roles), world.episode_id, now=NOW) is None
