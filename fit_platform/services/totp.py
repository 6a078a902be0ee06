"""TOTP second factor (RFC 6238, via pyotp) with replay protection and a QR code (segno).

A code is accepted for the current 30-second step and one step either side (clock drift), and
only if its step is later than the last accepted one (``Staff.totp_last_step``). The check and
the update are one conditional UPDATE, so two requests racing with the same code cannot both win.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging

import pyotp
import segno
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.base import utcnow
from fit_platform.db.models import Staff

log = logging.getLogger(__name__)

STEP_SECONDS = 30
DRIFT_STEPS = 1
ISSUER = "FIT"


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, the RFC 4226 recommendation


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI (the CSP allows img-src data:)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def normalise_code(code: str) -> str | None:
    digits = "".join(code.split())
    return digits if len(digits) == 6 and digits.isdigit() else None


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step `code` belongs to (within the drift window), or None."""
    digits = normalise_code(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), digits):
            return step
    return None


def consume_code(session: Session, staff: Staff, code: str, now: dt.datetime) -> bool:
    """Accept `code` once: True and the step recorded, or False (wrong, old or replayed)."""
    if not staff.totp_secret:
        return False
    step = matching_step(staff.totp_secret, code, now)
    if step is None:
        return False
    result = session.execute(
        update(Staff)
        .where(
            Staff.id == staff.id,
            or_(Staff.totp_last_step.is_(None), Staff.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    accepted = result.rowcount == 1  # type: ignore[attr-defined]
    if accepted:
        staff.totp_last_step = step
    return bool(accepted)


def enrol(
    db: Database, staff_id: int, secret: str, code: str, now: dt.datetime | None = None
) -> bool:
    """Turn on TOTP for a staff member once they prove their app holds `secret`."""
    now = now or utcnow()
    step = matching_step(secret, code, now)
    if step is None:
        return False
    with db.transaction() as session:
        staff = session.get(Staff, staff_id)
        if staff is None:
            return False
        staff.totp_secret = secret
        staff.totp_last_step = step
        log.info("totp enrolled", extra={"event": "totp_enrolled", "staff_id": staff_id})
    return True
