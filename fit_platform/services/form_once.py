"""Creating forms take effect once: a repeated POST of the same form returns the first result.

Double clicks, a second tab, a browser retrying after a slow answer or a phone re-sending on a
flaky network all POST the same form again. Each page that creates something puts a one-time
value in its form (`new_nonce()`, a hidden field rendered with the page). The service claims
(kind, owner, value) in the same transaction that creates the row, before creating it; the
unique key on the claim's hash lets exactly one of several concurrent POSTs through — on
PostgreSQL the others wait on the unique index until the first commits, on SQLite on the write
lock — and they then find the first claim and return its result instead of creating another
row. A claim is rolled back together with work that fails, so a corrected form can be sent
again. The owner (a staff member, an invitation) is part of the key, so a value copied from
someone else's page claims nothing of theirs.

A POST without a usable value (a page rendered before this was deployed) works as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import FormSubmission

log = logging.getLogger(__name__)

NONCE_BYTES = 16  # 128 bits, as the patient links
KEEP = dt.timedelta(days=1)  # a page left open longer than this may create again
RETRIES = 3
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_nonce() -> str:
    """The one-time value a creating form carries (one per rendered page)."""
    return secrets.token_urlsafe(NONCE_BYTES)


@dataclass(frozen=True)
class FormKey:
    kind: str  # what the form creates, e.g. "appointment"
    owner: str  # who submits it, e.g. "staff:12" or "invitation:34"
    nonce: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(f"{self.kind}\x1f{self.owner}\x1f{self.nonce}".encode()).hexdigest()


def form_key(kind: str, owner: str, nonce: str | None) -> FormKey | None:
    """The key of a submitted form, or None when it carried no well-formed one-time value."""
    if not nonce or not _NONCE.fullmatch(nonce):
        return None
    return FormKey(kind, owner, nonce)


@dataclass(frozen=True)
class Once:
    result_id: int | None
    repeated: bool  # True: the form was submitted before; nothing was created now


def earlier(session: Session, key: FormKey) -> FormSubmission | None:
    return session.scalar(select(FormSubmission).where(FormSubmission.key_hash == key.hash))


def claim(session: Session, key: FormKey, now: dt.datetime) -> FormSubmission:
    """Claim `key` in this transaction. Raises IntegrityError when another request holds it
    (the caller's retry then finds the earlier submission with `earlier`)."""
    row = FormSubmission(key_hash=key.hash, kind=key.kind, created_at=now)
    session.add(row)
    session.flush()
    return row


def run_once(
    db: Database, key: FormKey | None, now: dt.datetime, work: Callable[[Session], int]
) -> Once:
    """Run `work` (which returns the id of what it created) once per `key`, in one transaction
    with the claim. Exceptions from `work` propagate and roll the claim back."""
    if key is None:
        with db.transaction(now=now) as session:
            return Once(work(session), False)
    for attempt in range(RETRIES + 1):
        try:
            with db.transaction(now=now) as session:
                found = earlier(session, key)
                if found is not None:
                    log.info(
                        "repeated form ignored",
                        extra={"event": "form_repeated", "form_kind": key.kind},
                    )
                    return Once(found.result_id, True)
                row = claim(session, key, now)
                row.result_id = work(session)
                return Once(row.result_id, False)
        except IntegrityError:
            if attempt == RETRIES:
                raise
    raise AssertionError("unreachable")


def forget_old_submissions(db: Database, now: dt.datetime) -> int:
    """Delete claims older than `KEEP` (they only guard against repeats of a recent POST)."""
    with db.transaction(now=now) as session:
        result = session.execute(
            delete(FormSubmission).where(FormSubmission.created_at < now - KEEP)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
