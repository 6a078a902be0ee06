"""What the staff navigation offers beyond the role check (templates/base.html)."""

from __future__ import annotations

from flask import g

from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services.staff_navigation import groups_pages_can_be_used


def offers_groups() -> bool:
    """Whether "Groups" belongs in this person's navigation. A therapist always works in a
    unit and may create a group there, so no query is spent on the clinical pages; an
    administrator gets the entry once the service has a unit or a group."""
    staff = g.get("staff")
    if staff is None:
        return False
    if staff.has_role(Role.THERAPIST):
        return True
    if not staff.has_role(Role.ADMIN):
        return False
    if "offers_groups" not in g:
        g.offers_groups = groups_pages_can_be_used(get_db(), staff)
    return bool(g.offers_groups)
