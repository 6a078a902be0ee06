"""Recovery codes for the second factor: ten single-use codes, shown once, kept hashed.

A code is 16 characters from a 32-letter alphabet without look-alikes (80 random bits),
written in groups of four. Only its SHA-256 is stored: with 80 bits of randomness a slow
password hash adds nothing. A code is spent by one conditional UPDATE, so two requests racing
with the same code cannot both use it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import StaffRecoveryCode

log = logging.getLogger(__name__)

COUNT = 10
LENGTH = 16
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _normalise(code: str) -> str | None:
    letters = "".join(ch for ch in code.upper() if ch.isalnum())
    return letters if len(letters) == LENGTH and set(letters) <= set(ALPHABET) else None


def _hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def looks_like_a_recovery_code(code: str) -> bool:
    return _normalise(code) is not None


def issue(session: Session, staff_id: int, now: dt.datetime) -> tuple[str, ...]:
    """Replace the staff member's codes with ten new ones and return them (the only time
    they exist in clear). Called in the transaction that enrols the second factor."""
    session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == staff_id))
    codes = tuple("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT))
    session.add_all(
        StaffRecoveryCode(staff_id=staff_id, code_hash=_hash(code), created_at=now)
        for code in codes
    )
    log.info(
        "recovery codes issued", extra={"event": "recovery_codes_issued", "staff_id": staff_id}
    )
    return tuple("-".join(code[i : i + 4] for i in range(0, LENGTH, 4)) for code in codes)


def consume(session: Session, staff_id: int, code: str, now: dt.datetime) -> bool:
    """Spend one unused code of this staff member: True once, False ever after."""
    normalised = _normalise(code)
    if normalised is None:
        return False
    result = session.execute(
        update(StaffRecoveryCode)
        .where(
            StaffRecoveryCode.staff_id == staff_id,
            StaffRecoveryCode.code_hash == _hash(normalised),
            StaffRecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    used = result.rowcount == 1  # type: ignore[attr-defined]
    if used:
        log.info("recovery code used", extra={"event": "recovery_code_used", "staff_id": staff_id})
    return bool(used)


def remaining(db: Database, staff_id: int) -> int:
    """How many unused codes the staff member has left (shown on their account page)."""
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    StaffRecoveryCode.staff_id == staff_id, StaffRecoveryCode.used_at.is_(None)
                )
            )
            or 0
        )
