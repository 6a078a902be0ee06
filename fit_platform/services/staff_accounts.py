"""Staff accounts created outside the web: the first administrator of a new install.

A production database starts empty after `fit-platform db upgrade`; nobody can log in to
create anyone. `create_admin` is the one way in, called by `fit-platform create-admin`.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffRole
from fit_platform.domain.codes import Role
from fit_platform.messaging.addresses import InvalidAddress, normalise_email
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.passwords import hash_password, password_problem

log = logging.getLogger(__name__)


class AccountRefused(Exception):
    """Why an account was not created: a stable code the caller turns into a message
    (invalid_email, no_name, too_short, too_common, same_as_username, exists)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def create_admin(
    db: Database, email: str, display_name: str, password: str, *, now: dt.datetime
) -> int:
    """Create an active administrator (service-wide role) and return the staff id.

    The password must pass the same rule as a password changed on the web. Refuses an
    address that already has an account rather than touching it. Logs the new id only and
    writes an admin audit row with actor 'command'.
    """
    try:
        username = normalise_email(email).lower()
    except InvalidAddress as exc:
        raise AccountRefused("invalid_email") from exc
    name = " ".join(display_name.split())
    if not name:
        raise AccountRefused("no_name")
    problem = password_problem(password, user_inputs=(username, name))
    if problem is not None:
        raise AccountRefused(problem)
    if password.strip().lower() == username:
        raise AccountRefused("same_as_username")
    with db.transaction(now=now) as session:
        if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
            raise AccountRefused("exists")
        staff = Staff(username=username, display_name=name, password_hash=hash_password(password))
        staff.roles = [StaffRole(role=Role.ADMIN, unit_id=None)]
        session.add(staff)
        session.flush()
        staff_id = staff.id
        record_admin_change(
            session,
            staff_id=None,
            action="staff_created",
            target_kind="staff",
            target_id=staff_id,
            # As an invitation writes roles (role@unit, "all" for service-wide).
            after={"username": username, "display_name": name, "roles": ["admin@all"]},
            at=now,
        )
    log.info("administrator created", extra={"event": "admin_created", "staff_id": staff_id})
    return staff_id
