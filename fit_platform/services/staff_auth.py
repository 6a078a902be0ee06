"""Staff login, server-side sessions, throttling of failed logins and logout.

Sessions live in the database so an administrator (or the user) can revoke them at once;
the browser only holds a random session id, of which the database keeps a SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffRole, StaffSession
from fit_platform.domain.codes import Role, role_grants_access
from fit_platform.services import login_throttle, totp
from fit_platform.services.passwords import (
    dummy_hash,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from fit_platform.services.secret_box import SecretBox

log = logging.getLogger(__name__)


class LoginOutcome(StrEnum):
    OK = "ok"
    # Unknown user, wrong password or code, or still waiting after failures: one answer.
    INVALID = "invalid"
    # The password was right; a TOTP code must follow (see `complete_totp_login`).
    TOTP_REQUIRED = "totp_required"


class PasswordChangeOutcome(StrEnum):
    OK = "ok"
    WRONG_CURRENT = "wrong_current"
    TOO_SHORT = "too_short"
    TOO_COMMON = "too_common"
    SAME_AS_USERNAME = "same_as_username"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    session_id: str | None = None
    staff_id: int | None = None


@dataclass(frozen=True)
class StaffIdentity:
    staff_id: int
    display_name: str
    roles: frozenset[tuple[Role, int | None]]
    session_row_id: int
    expires_at: dt.datetime
    totp_enrolled: bool = False

    def has_role(self, role: Role) -> bool:
        return any(held == role for held, _unit in self.roles)


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def log_in(
    db: Database,
    username: str,
    password: str,
    *,
    client_address: str | None = None,
    idle: dt.timedelta,
    absolute: dt.timedelta,
    now: dt.datetime,
) -> LoginResult:
    """Check a password and open a new server-side session (a new id on every login).

    Every refusal looks the same from outside: unknown username, wrong password, or an
    account or address that must still wait (`login_throttle`) all return INVALID after one
    Argon2 verification (against a dummy hash where there is nothing to check), so neither the
    answer nor its timing tells whether an account exists. No account is ever locked.
    """
    with db.session(now=now) as session:
        staff = session.scalar(select(Staff).where(Staff.username == username.strip().lower()))
        if staff is not None and not staff.is_active:
            staff = None
        throttled = login_throttle.must_wait(session, staff, client_address, now)
        staff_id = staff.id if staff is not None else None
        checked_hash = staff.password_hash if staff is not None and not throttled else dummy_hash()
    # Argon2 runs outside any transaction: no connection or lock is held for it.
    password_ok = verify_password(checked_hash, password)
    if throttled:
        log.info("staff login throttled", extra={"event": "login_throttled", "staff_id": staff_id})
        return LoginResult(LoginOutcome.INVALID)
    if staff_id is None or not password_ok:
        login_throttle.record_failure(db, staff_id, client_address, now)
        log.info("staff login refused", extra={"event": "login_invalid", "staff_id": staff_id})
        return LoginResult(LoginOutcome.INVALID)
    with db.transaction(now=now) as session:
        staff = session.get(Staff, staff_id)
        if staff is None or not staff.is_active:
            return LoginResult(LoginOutcome.INVALID)
        if needs_rehash(staff.password_hash):
            staff.password_hash = hash_password(password)
        if staff.totp_secret:
            log.info(
                "staff password accepted, code required",
                extra={"event": "login_password_ok", "staff_id": staff.id},
            )
            return LoginResult(LoginOutcome.TOTP_REQUIRED, staff_id=staff.id)
        return open_session(session, staff, now, absolute)


def open_session(
    session: Session, staff: Staff, now: dt.datetime, absolute: dt.timedelta
) -> LoginResult:
    """A new random session id on every login (no fixation); only its hash is stored.

    Called once the person is authenticated: by a password (and code) here, or by an outside
    identity provider (`services/oidc_login.py`)."""
    login_throttle.clear_account(session, staff)
    session_id = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            staff_id=staff.id,
            token_hash=hash_session_id(session_id),
            created_at=now,
            last_seen_at=now,
            expires_at=now + absolute,
        )
    )
    log.info("staff logged in", extra={"event": "login_ok", "staff_id": staff.id})
    return LoginResult(LoginOutcome.OK, session_id=session_id, staff_id=staff.id)


def complete_totp_login(
    db: Database,
    staff_id: int,
    code: str,
    *,
    box: SecretBox,
    client_address: str | None = None,
    absolute: dt.timedelta,
    now: dt.datetime,
) -> LoginResult:
    """Second step of a login: a fresh TOTP code (or an unused recovery code) opens the
    session. Wrong codes count towards the same throttling as wrong passwords; a code is
    never accepted twice."""
    with db.transaction(now=now) as session:
        staff = session.get(Staff, staff_id)
        if staff is None or not staff.is_active:
            return LoginResult(LoginOutcome.INVALID)
        if login_throttle.must_wait(session, staff, client_address, now):
            log.info(
                "staff code throttled", extra={"event": "totp_throttled", "staff_id": staff_id}
            )
            return LoginResult(LoginOutcome.INVALID)
        if totp.second_factor_ok(session, staff, code, now, box):
            return open_session(session, staff, now, absolute)
    login_throttle.record_failure(db, staff_id, client_address, now)
    log.info("staff code refused", extra={"event": "totp_invalid", "staff_id": staff_id})
    return LoginResult(LoginOutcome.INVALID)


def change_password(
    db: Database,
    staff_id: int,
    current: str,
    new: str,
    *,
    keep_session_row_id: int | None = None,
    now: dt.datetime,
) -> PasswordChangeOutcome:
    """Set a new password after checking the current one and the rules for new passwords.

    Every other session of the staff member is revoked (someone else may know the old one).
    """
    with db.transaction(now=now) as session:
        staff = session.get(Staff, staff_id)
        if staff is None or not verify_password(staff.password_hash, current):
            log.info(
                "password change refused", extra={"event": "password_refused", "staff_id": staff_id}
            )
            return PasswordChangeOutcome.WRONG_CURRENT
        problem = password_problem(new, user_inputs=(staff.username, staff.display_name))
        if problem is not None:
            return PasswordChangeOutcome(problem)
        if new.strip().lower() == staff.username.lower():
            return PasswordChangeOutcome.SAME_AS_USERNAME
        staff.password_hash = hash_password(new)
        others = update(StaffSession).where(
            StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None)
        )
        if keep_session_row_id is not None:
            others = others.where(StaffSession.id != keep_session_row_id)
        session.execute(others.values(revoked_at=now))
        log.info("password changed", extra={"event": "password_changed", "staff_id": staff_id})
        return PasswordChangeOutcome.OK


# Every staff request reads its session, the staff member and the member's roles: one
# statement, built once per process (a row per role; a member without roles gives one row with
# no role), instead of the session row and two lazy loads. The session's last-seen time is one
# UPDATE by id, the one the ORM's flush wrote.
_SESSION_AND_ROLES = (
    select(
        StaffSession.id,
        StaffSession.staff_id,
        StaffSession.expires_at,
        StaffSession.last_seen_at,
        StaffSession.revoked_at,
        Staff.display_name,
        Staff.is_active,
        Staff.totp_secret,
        StaffRole.role,
        StaffRole.unit_id,
    )
    .join(Staff, Staff.id == StaffSession.staff_id)
    .outerjoin(StaffRole, StaffRole.staff_id == Staff.id)
    .where(StaffSession.token_hash == bindparam("token_hash"))
)
_SEEN = (
    update(StaffSession)
    .where(StaffSession.id == bindparam("row_id"))
    .values(last_seen_at=bindparam("now", type_=StaffSession.__table__.c.last_seen_at.type))
)


def resume_session(
    db: Database, session_id: str, *, idle: dt.timedelta, now: dt.datetime
) -> StaffIdentity | None:
    """The identity behind a session id, or None if it is unknown, revoked, idle or expired."""
    with db.transaction(now=now) as session:
        connection = session.connection()
        rows = connection.execute(
            _SESSION_AND_ROLES, {"token_hash": hash_session_id(session_id)}
        ).all()
        if not rows:
            return None
        (
            row_id,
            staff_id,
            expires_at,
            last_seen_at,
            revoked_at,
            display_name,
            is_active,
            totp_secret,
            _role,
            _unit,
        ) = rows[0]
        if (
            revoked_at is not None
            or expires_at <= now
            or last_seen_at + idle <= now
            or not is_active
        ):
            return None
        connection.execute(_SEEN, {"row_id": row_id, "now": now})
        return StaffIdentity(
            staff_id=staff_id,
            display_name=display_name,
            roles=frozenset(
                (row.role, row.unit_id)
                for row in rows
                if row.role is not None and role_grants_access(row.role, row.unit_id)
            ),
            session_row_id=row_id,
            expires_at=min(expires_at, now + idle),
            totp_enrolled=bool(totp_secret),
        )


def log_out(db: Database, session_id: str, *, now: dt.datetime) -> None:
    """Revoke the session server-side; the cookie alone is worth nothing afterwards."""
    with db.transaction(now=now) as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == hash_session_id(session_id))
            .values(revoked_at=now)
        )
        log.info("staff logged out", extra={"event": "logout"})


def revoke_all_sessions(db: Database, staff_id: int, *, now: dt.datetime) -> int:
    """Log a staff member out everywhere (e.g. a lost phone). Returns how many were open."""
    with db.transaction(now=now) as session:
        result = session.execute(
            update(StaffSession)
            .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        log.info(
            "staff sessions revoked", extra={"event": "sessions_revoked", "staff_id": staff_id}
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
