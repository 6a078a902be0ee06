"""TOTP second factor (RFC 6238, via pyotp) with replay protection and a QR code (segno).

Secrets are stored sealed with the configured key (`secret_box`, FIT_TOTP_ENCRYPTION_KEY), so
a copy of the database alone cannot produce codes.

A code is accepted for the current 30-second step and one step either side (clock drift), and
only if its step is later than the last accepted one (``Staff.totp_last_step``). The check and
the update are one conditional UPDATE, so two requests racing with the same code cannot both win.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from dataclasses import dataclass
from enum import StrEnum

import pyotp
import segno
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Staff
from fit_platform.services import login_throttle, recovery_codes
from fit_platform.services.passwords import dummy_hash, verify_password
from fit_platform.services.secret_box import SecretBox

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


def consume_code(
    session: Session, staff: Staff, code: str, now: dt.datetime, box: SecretBox
) -> bool:
    """Accept `code` once: True and the step recorded, or False (wrong, old or replayed)."""
    if not staff.totp_secret:
        return False
    try:
        secret = box.open(staff.totp_secret)
    except ValueError:
        # Sealed with a key no longer configured (an old key removed before
        # `fit-platform totp reseal`): refused like a wrong code, so a recovery code still
        # works, and named in the log for the operator.
        log.error(
            "second-factor secret cannot be opened with FIT_TOTP_ENCRYPTION_KEY",
            extra={"event": "totp_secret_unreadable", "staff_id": staff.id},
        )
        return False
    step = matching_step(secret, code, now)
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


class EnrolOutcome(StrEnum):
    ENROLLED = "enrolled"
    # The code for the new secret is wrong: the new app is not set up yet.
    WRONG_NEW_CODE = "wrong_new_code"
    # Replacing an enrolled factor: the password or the current factor's code is wrong (or
    # the account must wait after failures). One outcome, so neither is confirmed alone.
    NOT_CONFIRMED = "not_confirmed"


@dataclass(frozen=True)
class EnrolResult:
    outcome: EnrolOutcome
    # Shown once, straight after enrolment; only their hashes are kept.
    recovery_codes: tuple[str, ...] = ()


def second_factor_ok(
    session: Session, staff: Staff, code: str, now: dt.datetime, box: SecretBox
) -> bool:
    """A current TOTP code, or else one unused recovery code (spent by this call)."""
    if consume_code(session, staff, code, now, box):
        return True
    return recovery_codes.looks_like_a_recovery_code(code) and recovery_codes.consume(
        session, staff.id, code, now
    )


def enrol(
    db: Database,
    staff_id: int,
    secret: str,
    code: str,
    *,
    now: dt.datetime,
    box: SecretBox,
    password: str = "",
    current_code: str = "",
    client_address: str | None = None,
) -> EnrolResult:
    """Turn on TOTP for a staff member once they prove their app holds `secret`.

    Replacing a factor that is already enrolled also needs the password and a code from the
    current factor (or a recovery code, for a lost phone), so a session left open (or
    stolen) cannot move the second factor to another phone. Failures there count towards
    login throttling like failed logins. Ten new recovery codes replace any old ones.
    """
    step = matching_step(secret, code, now)
    if step is None:
        return EnrolResult(EnrolOutcome.WRONG_NEW_CODE)
    with db.transaction(now=now) as session:
        staff = session.get(Staff, staff_id)
        if staff is None:
            return EnrolResult(EnrolOutcome.NOT_CONFIRMED)
        confirmed = True
        if staff.totp_secret:
            if login_throttle.must_wait(session, staff, client_address, now):
                verify_password(dummy_hash(), password)
                log.info(
                    "totp change throttled", extra={"event": "totp_throttled", "staff_id": staff_id}
                )
                return EnrolResult(EnrolOutcome.NOT_CONFIRMED)
            # Both are always checked: the answer must not say which of the two was wrong.
            password_ok = verify_password(staff.password_hash, password)
            confirmed = second_factor_ok(session, staff, current_code, now, box) and password_ok
        if confirmed:
            staff.totp_secret = box.seal(secret)  # never in clear in the database
            staff.totp_last_step = step
            log.info("totp enrolled", extra={"event": "totp_enrolled", "staff_id": staff_id})
            return EnrolResult(EnrolOutcome.ENROLLED, recovery_codes.issue(session, staff_id, now))
    login_throttle.record_failure(db, staff_id, client_address, now)
    log.info("totp change refused", extra={"event": "totp_refused", "staff_id": staff_id})
    return EnrolResult(EnrolOutcome.NOT_CONFIRMED)


@dataclass(frozen=True)
class ResealResult:
    resealed: int
    unreadable: tuple[int, ...]  # staff ids whose secret no configured key opens


def reseal_secrets(db: Database, box: SecretBox) -> ResealResult:
    """Seal every stored second-factor secret again with the first configured key, the last
    step of a key rotation (docs/operations.md): afterwards the older keys open nothing and can
    be removed. A secret that no configured key opens is left as it is and its staff id
    returned; that person needs their second factor reset."""
    resealed = 0
    unreadable: list[int] = []
    with db.transaction() as session:
        enrolled = session.scalars(
            select(Staff)
            .where(Staff.totp_secret.is_not(None), Staff.totp_secret != "")
            .order_by(Staff.id)
            .with_for_update()
        )
        for staff in enrolled:
            try:
                staff.totp_secret = box.reseal(staff.totp_secret or "")
            except ValueError:
                unreadable.append(staff.id)
            else:
                resealed += 1
    log.info(
        "totp secrets sealed again",
        extra={"event": "totp_resealed", "resealed": resealed, "unreadable": len(unreadable)},
    )
    return ResealResult(resealed, tuple(unreadable))
