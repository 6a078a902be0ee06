"""Counting failed logins per account and per client address, and asking whether to wait.

Every count changes in one SQL statement (`UPDATE … SET failed_logins = failed_logins + 1
RETURNING`, and an `INSERT … ON CONFLICT DO UPDATE` for addresses) so parallel wrong passwords
each count, on PostgreSQL and SQLite alike. The rule (how long to wait) is in
`fit_platform/domain/login_throttle.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from sqlalchemy import case, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import LoginFailureByAddress, Staff
from fit_platform.domain.login_throttle import ACCOUNT, ADDRESS, next_attempt_at

log = logging.getLogger(__name__)


def address_hash(address: str | None) -> str:
    """Addresses are kept only hashed; a request without one shares one bucket."""
    return hashlib.sha256((address or "unknown").encode()).hexdigest()


def must_wait(session: Session, staff: Staff | None, address: str | None, now: dt.datetime) -> bool:
    """True when this account or this client address must wait before the next check."""
    if staff is not None and next_attempt_at(
        staff.failed_logins, staff.last_failed_login_at, now, ACCOUNT
    ):
        return True
    row = session.get(LoginFailureByAddress, address_hash(address))
    return (
        row is not None
        and next_attempt_at(row.failures, row.last_failed_at, now, ADDRESS) is not None
    )


def record_failure(
    db: Database, staff_id: int | None, address: str | None, now: dt.datetime
) -> int | None:
    """Count one failed password or code, atomically; returns the account's new count.

    Runs in its own short transaction that starts with the write, so on SQLite parallel
    attempts queue for the write lock instead of failing on a stale read.
    """
    with db.transaction(now=now) as session:
        count = None
        if staff_id is not None:
            restart = or_(
                Staff.last_failed_login_at.is_(None),
                Staff.last_failed_login_at <= now - ACCOUNT.window,
            )
            count = session.scalar(
                update(Staff)
                .where(Staff.id == staff_id)
                .values(
                    failed_logins=case((restart, 1), else_=Staff.failed_logins + 1),
                    last_failed_login_at=now,
                )
                .returning(Staff.failed_logins)
                .execution_options(synchronize_session=False)
            )
        row = LoginFailureByAddress
        insert = postgresql_insert if db.dialect == "postgresql" else sqlite_insert
        statement = insert(row).values(
            address_hash=address_hash(address), failures=1, last_failed_at=now
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[row.address_hash],
                set_={
                    "failures": case(
                        (row.last_failed_at <= now - ADDRESS.window, 1),
                        else_=row.failures + 1,
                    ),
                    "last_failed_at": now,
                },
            )
        )
        return count


def clear_account(session: Session, staff: Staff) -> None:
    """A successful login starts the account's count again (the address keeps its own)."""
    staff.failed_logins = 0
    staff.last_failed_login_at = None


def forget_old_address_failures(db: Database, now: dt.datetime) -> int:
    """Delete address counts older than the window (they would restart at 1 anyway), so the
    table holds only the last hour's failing addresses. For the scheduler's clean-up job."""
    with db.transaction(now=now) as session:
        result = session.execute(
            delete(LoginFailureByAddress).where(
                LoginFailureByAddress.last_failed_at <= now - ADDRESS.window
            )
        )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    log.info(
        "old login failure counts deleted", extra={"event": "login_counts_forgotten", "rows": count}
    )
    return count
