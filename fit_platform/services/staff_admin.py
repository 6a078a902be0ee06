"""Administrators' changes to staff accounts: roles per unit, deactivation, reactivation and
resetting a lost second factor. Invitations are in `staff_invites.py`.

Every change writes its admin audit row in the same transaction (never a password, token or
secret in it). **The last active administrator stays**: no change may leave the service
without an active account holding the admin role. The check and the change run while the
rows it depends on are locked (``FOR UPDATE`` on PostgreSQL, the write lock taken first on
SQLite), so two administrators removing each other at the same moment cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from fit_platform.db import Database
from fit_platform.db.models import (
    OutboxMessage,
    Staff,
    StaffInvite,
    StaffRecoveryCode,
    StaffRole,
    StaffSession,
    Unit,
)
from fit_platform.domain.codes import OutboxState, Role, role_grants_access
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.signal_workflow import keep_on_leads_list
from fit_platform.services.staff_handover import responsible_episodes, responsible_in_unit
from fit_platform.services.staff_invites import (
    StaffChangeRefused,
    has_usable_password,
    role_problems,
    withdraw_links,
)

log = logging.getLogger(__name__)

REASON_MAX = 500


class AccountStatus(StrEnum):
    ACTIVE = "active"
    INVITED = "invited"  # waiting for the new staff member to set a password
    INVITATION_LAPSED = "invitation_lapsed"  # the link expired or was withdrawn
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class RoleHeld:
    id: int
    role: Role
    unit_id: int | None
    unit_name: str | None

    @property
    def grants_access(self) -> bool:
        """False for a service-wide role held for one unit (`codes.SERVICE_WIDE_ROLES`)."""
        return role_grants_access(self.role, self.unit_id)


@dataclass(frozen=True)
class StaffSummary:
    id: int
    username: str
    display_name: str
    status: AccountStatus
    roles: tuple[RoleHeld, ...]
    second_factor: bool
    recovery_codes_left: int = 0
    invitation_expires_at: dt.datetime | None = None
    invitation_mail: OutboxState | None = None


@dataclass(frozen=True)
class UnitChoice:
    id: int
    name: str
    archived: bool = False


def _status(staff: Staff, live_invite: bool) -> AccountStatus:
    if staff.is_active:
        return AccountStatus.ACTIVE
    if has_usable_password(staff):
        return AccountStatus.DEACTIVATED
    return AccountStatus.INVITED if live_invite else AccountStatus.INVITATION_LAPSED


def _live_invites(session: Session, now: dt.datetime) -> dict[int, StaffInvite]:
    rows = session.scalars(
        select(StaffInvite)
        .where(
            StaffInvite.used_at.is_(None),
            StaffInvite.revoked_at.is_(None),
            StaffInvite.expires_at > now,
        )
        .order_by(StaffInvite.id)
    )
    return {row.staff_id: row for row in rows}


def _roles(staff: Staff) -> tuple[RoleHeld, ...]:
    held = [
        RoleHeld(row.id, row.role, row.unit_id, row.unit.name if row.unit else None)
        for row in staff.roles
    ]
    return tuple(sorted(held, key=lambda r: (list(Role).index(r.role), r.unit_name or "")))


def list_staff(db: Database, now: dt.datetime) -> list[StaffSummary]:
    """Every staff account with its roles and status, by name (admin pages)."""
    with db.session(now=now) as session:
        invites = _live_invites(session, now)
        people = session.scalars(
            select(Staff)
            .options(selectinload(Staff.roles).selectinload(StaffRole.unit))
            .order_by(func.lower(Staff.display_name), Staff.id)
        ).all()
        return [
            StaffSummary(
                id=staff.id,
                username=staff.username,
                display_name=staff.display_name,
                status=_status(staff, staff.id in invites),
                roles=_roles(staff),
                second_factor=bool(staff.totp_secret),
            )
            for staff in people
        ]


def staff_detail(db: Database, staff_id: int, now: dt.datetime) -> StaffSummary | None:
    """One account as its admin page shows it, with the state of its latest invitation e-mail."""
    with db.session(now=now) as session:
        staff = session.get(Staff, staff_id)
        if staff is None:
            return None
        invite = _live_invites(session, now).get(staff_id)
        mail = None
        if invite is not None:
            mail = session.scalar(
                select(OutboxMessage.state).where(OutboxMessage.staff_invite_id == invite.id)
            )
        codes_left = session.scalar(
            select(func.count())
            .select_from(StaffRecoveryCode)
            .where(StaffRecoveryCode.staff_id == staff_id, StaffRecoveryCode.used_at.is_(None))
        )
        return StaffSummary(
            id=staff.id,
            username=staff.username,
            display_name=staff.display_name,
            status=_status(staff, invite is not None),
            roles=_roles(staff),
            second_factor=bool(staff.totp_secret),
            recovery_codes_left=codes_left or 0,
            invitation_expires_at=invite.expires_at if invite else None,
            invitation_mail=mail,
        )


def units(db: Database) -> list[UnitChoice]:
    """Every unit by name, the archived ones last."""
    with db.session() as session:
        rows = session.execute(
            select(Unit.id, Unit.name, Unit.archived_at.is_not(None)).order_by(
                Unit.archived_at.is_not(None), Unit.name
            )
        ).all()
    return [UnitChoice(unit_id, name, archived) for unit_id, name, archived in rows]


# -- the last administrator -----------------------------------------------------------------


def _lock_admins(session: Session) -> None:
    """Serialise changes that could remove the last administrator (see the module doc)."""
    admins = select(StaffRole.staff_id).where(StaffRole.role == Role.ADMIN)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Staff.id).where(Staff.id.in_(admins), Staff.is_active).with_for_update()
        ).all()
    else:
        # An UPDATE that changes nothing takes SQLite's write lock before anything is read.
        session.execute(
            update(Staff)
            .where(Staff.id.in_(admins))
            .values(is_active=Staff.is_active)
            .execution_options(synchronize_session=False)
        )


def _other_active_admins(session: Session, staff_id: int) -> int:
    return (
        session.scalar(
            select(func.count(func.distinct(Staff.id)))
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(
                StaffRole.role == Role.ADMIN,
                StaffRole.unit_id.is_(None),  # one held for a unit gives no access
                Staff.is_active,
                Staff.id != staff_id,
            )
        )
        or 0
    )


def _administers(role: StaffRole) -> bool:
    """An administrator role that gives access (service-wide: `codes.role_grants_access`)."""
    return role.role is Role.ADMIN and role_grants_access(role.role, role.unit_id)


def _is_admin(staff: Staff) -> bool:
    return any(_administers(row) for row in staff.roles)


def end_sessions(session: Session, staff_id: int, now: dt.datetime) -> int:
    """End every session of `staff_id` still open (deactivation, a role change, an identity
    removed); returns how many."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _target(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffChangeRefused("not_found")
    return staff


def _role_label(role: Role, unit_id: int | None) -> str:
    return f"{role.value}@{unit_id if unit_id is not None else 'all'}"


# -- changes ---------------------------------------------------------------------------------


def _new_role_problems(
    session: Session, staff: Staff, role: Role | None, unit_id: int | None
) -> list[str]:
    problems = role_problems(session, role, unit_id)
    if role is not None and any(row.role is role and row.unit_id == unit_id for row in staff.roles):
        problems.append("role_exists")
    return problems


def new_role_problems(
    db: Database, staff_id: int, role: Role | None, unit_id: int | None
) -> list[str]:
    """What `add_role` would refuse, saving nothing: the page asks when its own form has found
    errors too (a role not in the list), so the unit's message comes in the same round."""
    with db.session() as session:
        staff = session.get(Staff, staff_id)
        return [] if staff is None else _new_role_problems(session, staff, role, unit_id)


def add_role(
    db: Database, admin_id: int, staff_id: int, role: Role, unit_id: int | None, now: dt.datetime
) -> None:
    """Give a staff member a role in a unit (or service-wide where the role allows it)."""
    with db.transaction(now=now) as session:
        staff = _target(session, staff_id)
        if problems := _new_role_problems(session, staff, role, unit_id):
            raise StaffChangeRefused(*problems)
        if role is Role.THERAPIST and unit_id is not None:
            keep_on_leads_list(session, responsible_episodes(session, staff_id, unit_id), now)
        staff.roles.append(StaffRole(role=role, unit_id=unit_id))
        record_admin_change(
            session,
            staff_id=admin_id,
            action="role_added",
            target_kind="staff",
            target_id=staff_id,
            after={"role": _role_label(role, unit_id)},
            at=now,
        )
    log.info("staff role added", extra={"event": "role_added", "staff_id": staff_id})


def remove_role(db: Database, admin_id: int, staff_id: int, role_id: int, now: dt.datetime) -> None:
    """Take a role away; the last active administrator's admin role cannot be removed."""
    with db.transaction(now=now) as session:
        _lock_admins(session)
        staff = _target(session, staff_id)
        row = next((r for r in staff.roles if r.id == role_id), None)
        if row is None:
            raise StaffChangeRefused("not_found")
        others_keep_admin = any(_administers(r) and r.id != role_id for r in staff.roles) or (
            _other_active_admins(session, staff_id) > 0
        )
        if _administers(row) and staff.is_active and not others_keep_admin:
            raise StaffChangeRefused("last_admin")
        # Taken away with patients still theirs, the role left them seen by nobody in their
        # unit, or by the person from another unit: they are transferred first (a walk found
        # both; deactivation stays possible for someone who leaves suddenly).
        if (
            row.role is Role.THERAPIST
            and row.unit_id is not None
            and responsible_in_unit(session, staff_id, row.unit_id)
        ):
            raise StaffChangeRefused("responsible_here")
        label = _role_label(row.role, row.unit_id)
        staff.roles.remove(row)
        record_admin_change(
            session,
            staff_id=admin_id,
            action="role_removed",
            target_kind="staff",
            target_id=staff_id,
            before={"role": label},
            at=now,
        )
    log.info("staff role removed", extra={"event": "role_removed", "staff_id": staff_id})


def deactivate(db: Database, admin_id: int, staff_id: int, now: dt.datetime) -> int:
    """Refuse every login of the person and end all their sessions at once (the next request
    of an open browser is logged out). An unanswered invitation is withdrawn. Refuses the
    administrator's own account and the last active administrator. Returns the sessions ended.
    """
    if staff_id == admin_id:
        raise StaffChangeRefused("self")
    with db.transaction(now=now) as session:
        _lock_admins(session)
        staff = _target(session, staff_id)
        if not staff.is_active and not _has_live_invite(session, staff_id, now):
            raise StaffChangeRefused("already_inactive")
        if staff.is_active and _is_admin(staff) and _other_active_admins(session, staff_id) == 0:
            raise StaffChangeRefused("last_admin")
        was_active = staff.is_active
        staff.is_active = False
        ended = end_sessions(session, staff_id, now)
        withdraw_links(session, staff_id, now)
        record_admin_change(
            session,
            staff_id=admin_id,
            action="staff_deactivated" if was_active else "invitation_withdrawn",
            target_kind="staff",
            target_id=staff_id,
            before={"is_active": was_active},
            after={"is_active": False, "sessions_ended": ended},
            at=now,
        )
    log.info(
        "staff deactivated",
        extra={"event": "staff_deactivated", "staff_id": staff_id, "sessions_ended": ended},
    )
    return ended


def _has_live_invite(session: Session, staff_id: int, now: dt.datetime) -> bool:
    return staff_id in _live_invites(session, now)


def reactivate(db: Database, admin_id: int, staff_id: int, now: dt.datetime) -> None:
    """Let a deactivated person log in again with their own password (and second factor).
    Someone who never set a password gets a new invitation instead (`invite_again`)."""
    with db.transaction(now=now) as session:
        staff = _target(session, staff_id)
        if staff.is_active:
            raise StaffChangeRefused("already_active")
        if not has_usable_password(staff):
            raise StaffChangeRefused("never_activated")
        keep_on_leads_list(session, responsible_episodes(session, staff_id), now)
        staff.is_active = True
        record_admin_change(
            session,
            staff_id=admin_id,
            action="staff_reactivated",
            target_kind="staff",
            target_id=staff_id,
            before={"is_active": False},
            after={"is_active": True},
            at=now,
        )
    log.info("staff reactivated", extra={"event": "staff_reactivated", "staff_id": staff_id})


def reset_second_factor(
    db: Database, admin_id: int, staff_id: int, reason: str, now: dt.datetime
) -> int:
    """For a lost phone and lost recovery codes: remove the TOTP secret and every recovery
    code, and end all the person's sessions. They log in with their password and set up the
    factor again. A reason is required and kept in the audit row. An administrator cannot
    reset their own factor here (a session left open must not be enough to remove it).
    Returns the sessions ended."""
    reason = " ".join(reason.split())
    if not reason:
        raise StaffChangeRefused("reason_required")
    if len(reason) > REASON_MAX:
        raise StaffChangeRefused("reason_too_long")
    if staff_id == admin_id:
        raise StaffChangeRefused("self")
    with db.transaction(now=now) as session:
        staff = _target(session, staff_id)
        codes = session.scalar(
            select(func.count())
            .select_from(StaffRecoveryCode)
            .where(StaffRecoveryCode.staff_id == staff_id, StaffRecoveryCode.used_at.is_(None))
        )
        if not staff.totp_secret and not codes:
            raise StaffChangeRefused("no_second_factor")
        staff.totp_secret = None
        staff.totp_last_step = None
        session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == staff_id))
        ended = end_sessions(session, staff_id, now)
        record_admin_change(
            session,
            staff_id=admin_id,
            action="second_factor_reset",
            target_kind="staff",
            target_id=staff_id,
            before={"second_factor": True, "recovery_codes_left": codes or 0},
            after={"second_factor": False, "recovery_codes_left": 0, "sessions_ended": ended},
            reason=reason,
            at=now,
        )
    log.info("second factor reset", extra={"event": "second_factor_reset", "staff_id": staff_id})
    return ended
