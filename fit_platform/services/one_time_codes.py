"""One-time codes that let a patient open their progress view again, later.

The check is behind a small interface (``ProgressAccess``) so ID-porten (OIDC) can replace it
in production without touching the pages. The default sends a six-digit code to the registered
phone or e-mail:

* ``request_code`` queues an ``OutboxMessage`` of kind ``one_time_code`` (no text, no code),
  in the language of the page the patient asked from: they had just chosen it, so a code in
  their registered language could be one they cannot read (other messages keep that one);
* the dispatcher calls ``mint_code`` when it sends that message, the same way link tokens are
  minted at send time, so the raw code exists only in the message and the patient's head;
* ``verify_code`` checks it. Codes are stored hashed, live ten minutes, work once and allow
  five wrong tries; at most three codes are queued per patient per hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, OneTimeCode, OutboxMessage, Patient, Unit
from fit_platform.domain.codes import Channel, Language, MessageKind, OutboxState

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3


class CodeRequestOutcome(StrEnum):
    QUEUED = "queued"
    RATE_LIMITED = "rate_limited"
    NO_CONTACT = "no_contact"


@dataclass(frozen=True)
class CodeRequest:
    outcome: CodeRequestOutcome
    channel: Channel | None = None


class ProgressAccess(Protocol):
    """How a returning patient proves who they are before seeing their progress."""

    def request(
        self,
        db: Database,
        patient_id: int,
        now: dt.datetime,
        language: Language | None = None,
        unit_id: int | None = None,
    ) -> CodeRequest: ...

    def verify(self, db: Database, patient_id: int, code: str, now: dt.datetime) -> bool: ...


def _hash(patient_id: int, code: str) -> str:
    return hashlib.sha256(f"{patient_id}:{code}".encode()).hexdigest()


def _channel(patient: Patient) -> Channel | None:
    usable = {Channel.SMS: bool(patient.phone_e164), Channel.EMAIL: bool(patient.email)}
    if usable[patient.preferred_channel]:
        return patient.preferred_channel
    return next((channel for channel, ok in usable.items() if ok), None)


def request_code(
    db: Database,
    patient_id: int,
    now: dt.datetime,
    language: Language | None = None,
    unit_id: int | None = None,
) -> CodeRequest:
    """Queue a code message to the patient's registered phone or e-mail (rate-limited), in
    `language` (the page's) or, without one, the patient's registered language, sent in the
    name of `unit_id` (the unit of the link the patient asked from)."""
    with db.transaction(now=now) as session:
        patient = session.get_one(Patient, patient_id)
        channel = _channel(patient)
        if channel is None:
            return CodeRequest(CodeRequestOutcome.NO_CONTACT)
        recent = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.patient_id == patient_id,
                OutboxMessage.kind == MessageKind.ONE_TIME_CODE,
                OutboxMessage.created_at > now - dt.timedelta(hours=1),
            )
        )
        if (recent or 0) >= MAX_CODES_PER_HOUR:
            log.info("one-time code refused: rate limit", extra={"patient_id": patient_id})
            return CodeRequest(CodeRequestOutcome.RATE_LIMITED, channel)
        key = f"otc:{patient_id}:{int(now.timestamp() // 60)}"
        # One message per request, not per click: two clicks before the first message has
        # left give the same key (the second queues nothing). Once it has left, a new request
        # in the same minute is a new message; the key counted only minutes, so a patient who
        # had just locked her code by wrong tries and asked again at once was told a code was
        # sent, and none came.
        gone = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.patient_id == patient_id,
                OutboxMessage.kind == MessageKind.ONE_TIME_CODE,
                or_(OutboxMessage.dedupe_key == key, OutboxMessage.dedupe_key.like(f"{key}:%")),
                OutboxMessage.state != OutboxState.QUEUED,
            )
        )
        message = OutboxMessage(
            dedupe_key=f"{key}:{gone}" if gone else key,
            patient_id=patient_id,
            kind=MessageKind.ONE_TIME_CODE,
            channel=channel,
            next_attempt_at=now,
            created_at=now,
            language=language,
            unit_id=unit_id,
        )
        try:
            with session.begin_nested():
                session.add(message)
        except IntegrityError:
            return CodeRequest(CodeRequestOutcome.QUEUED, channel)
    log.info("one-time code queued", extra={"patient_id": patient_id, "outbox_id": message.id})
    return CodeRequest(CodeRequestOutcome.QUEUED, channel)


def code_message_name(session: Session, patient_id: int, unit_id: int | None = None) -> str | None:
    """The sender name of the unit a code goes out for, or None when it has set none (then the
    neutral default). That unit is `unit_id`, the unit of the link the patient asked from: a
    patient with episodes in two units expects the clinic whose link they used. Without one
    (a code queued before units were kept with it), the unit of the patient's latest episode.
    The code page names the same sender from this, so the message that arrives is the one the
    patient was told of."""
    if unit_id is not None:
        return session.scalar(select(Unit.message_name).where(Unit.id == unit_id))
    return session.scalar(
        select(Unit.message_name)
        .join(Episode, Episode.unit_id == Unit.id)
        .where(Episode.patient_id == patient_id)
        .order_by(Episode.started_on.desc(), Episode.id.desc())
        .limit(1)
    )


def code_sender(db: Database, patient_id: int, unit_id: int | None = None) -> str | None:
    """``code_message_name`` in a session of its own (for the code page)."""
    with db.session() as session:
        return code_message_name(session, patient_id, unit_id)


def mint_code(session: Session, patient_id: int, now: dt.datetime) -> str:
    """Create a code for the patient and return it (for the dispatcher, at send time only)."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    session.add(
        OneTimeCode(
            patient_id=patient_id,
            code_hash=_hash(patient_id, code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    session.flush()
    return code


def verify_code(db: Database, patient_id: int, code: str, now: dt.datetime) -> bool:
    """True when ``code`` matches a live, unused code of the patient; that code is then used up.

    A wrong code counts as one attempt on every live code of the patient; after
    ``MAX_ATTEMPTS`` they stop working, so guessing a six-digit code is hopeless.
    """
    code = "".join(ch for ch in code if ch.isdigit())[:CODE_DIGITS]
    with db.transaction(now=now) as session:
        live = session.scalars(
            select(OneTimeCode)
            .where(
                OneTimeCode.patient_id == patient_id,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.expires_at > now,
                OneTimeCode.attempts < MAX_ATTEMPTS,
            )
            .with_for_update()
        ).all()
        wanted = _hash(patient_id, code)
        match = next((row for row in live if hmac.compare_digest(row.code_hash, wanted)), None)
        if match is not None and len(code) == CODE_DIGITS:
            match.used_at = now
            log.info("one-time code accepted", extra={"patient_id": patient_id})
            return True
        if live:
            session.execute(
                update(OneTimeCode)
                .where(OneTimeCode.id.in_([row.id for row in live]))
                .values(attempts=OneTimeCode.attempts + 1)
            )
    log.info("one-time code refused", extra={"patient_id": patient_id})
    return False


def code_locked(db: Database, patient_id: int, now: dt.datetime) -> bool:
    """The patient's code still within its ten minutes stopped working after ``MAX_ATTEMPTS``
    wrong tries, and no other works: the page says so (it said "wrong or too old" of the right
    code) and that a new one is needed."""
    with db.session(now=now) as session:
        rows = session.execute(
            select(OneTimeCode.attempts).where(
                OneTimeCode.patient_id == patient_id,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.expires_at > now,
            )
        ).all()
    return bool(rows) and all(attempts >= MAX_ATTEMPTS for (attempts,) in rows)


class OneTimeCodeAccess:
    """The default ``ProgressAccess``: a code by SMS or e-mail."""

    def request(
        self,
        db: Database,
        patient_id: int,
        now: dt.datetime,
        language: Language | None = None,
        unit_id: int | None = None,
    ) -> CodeRequest:
        return request_code(db, patient_id, now, language, unit_id)

    def verify(self, db: Database, patient_id: int, code: str, now: dt.datetime) -> bool:
        return verify_code(db, patient_id, code, now)
