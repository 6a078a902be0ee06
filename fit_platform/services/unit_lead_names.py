"""The unit leads of each unit by name, for the units pages: those who are reached, and those
invited who cannot act yet.

An invited account stays inactive until its holder sets a password with the invitation link
(services/staff_invites.py), and a risk signal nobody acknowledges in time is escalated to the
unit's active leads only. So the units pages keep saying that escalation reaches nobody after
an administrator has invited a lead; they name the invited person too, so the administrator
sees why and what is left to do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db.models import Staff, StaffInvite, StaffRole
from fit_platform.domain.codes import Role


def active_unit_leads(session: Session) -> dict[int, list[str]]:
    """Unit id → names of its active unit leads, whom escalation reaches."""
    return _by_unit(session, Staff.is_active.is_(True))


def invited_unit_leads(session: Session) -> dict[int, list[str]]:
    """Unit id → names of the people invited as its lead who have not set a password yet
    (an invitation neither used nor withdrawn; a deactivated account is not one of them)."""
    pending = (
        select(StaffInvite.staff_id)
        .where(StaffInvite.used_at.is_(None), StaffInvite.revoked_at.is_(None))
        .scalar_subquery()
    )
    return _by_unit(session, Staff.is_active.is_(False), Staff.id.in_(pending))


def _by_unit(session: Session, *conditions: Any) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for unit_id, name in session.execute(
        select(StaffRole.unit_id, Staff.display_name)
        .join(Staff, Staff.id == StaffRole.staff_id)
        .where(StaffRole.role == Role.UNIT_LEAD, StaffRole.unit_id.is_not(None), *conditions)
        .distinct()
        .order_by(Staff.display_name)
    ):
        names.setdefault(unit_id or 0, []).append(name)
    return names
