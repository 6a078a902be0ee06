"""A staff member's typing, kept when their form arrives after their session has ended.

A therapist writes a samvalg record with the patient through a whole session, or a note on a
signal, and sends it more than 30 minutes after the last page was opened: the session has
ended, the form is refused and sent to the login page. What was typed is kept here, under the
staff member the ended session belonged to and the page the form was on; when that staff
member has logged in again and the page opens, the form is filled in with it and the row is
deleted (`web/kept_typing.py`). Nobody else gets it: another staff member logging in on the
same computer opens an empty form. What nobody came back for is deleted by the daily clean-up
after `KEEP`. Only the fields a page names are kept (text the user typed and the hidden
choices the form needs), never a CSRF token or a one-time value.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, select

from fit_platform.db import Database
from fit_platform.db.models import KeptTyping, Staff, StaffSession
from fit_platform.services.staff_auth import hash_session_id

log = logging.getLogger(__name__)

KEEP = dt.timedelta(hours=12)  # the working day it was typed in
FIELD_MAX = 20_000  # no form of ours takes more; a larger value is not kept


def ended_session_staff(db: Database, session_id: str) -> int | None:
    """The staff member whose session `session_id` was, when it ended by itself (idle or
    absolute time), not by logging out or by an administrator; else None."""
    with db.session() as session:
        row = session.execute(
            select(StaffSession.staff_id)
            .join(Staff, Staff.id == StaffSession.staff_id)
            .where(
                StaffSession.token_hash == hash_session_id(session_id),
                StaffSession.revoked_at.is_(None),
                Staff.is_active.is_(True),
            )
        ).first()
        return None if row is None else int(row[0])


def keep_typing(
    db: Database, staff_id: int, page: str, fields: dict[str, str], *, now: dt.datetime
) -> bool:
    """Keep `fields` for `staff_id` on `page` (the newest typing of a page replaces older).
    False when there is nothing to keep."""
    kept = {name: value for name, value in fields.items() if value and len(value) <= FIELD_MAX}
    if not kept:
        return False
    with db.transaction(now=now) as session:
        session.execute(
            delete(KeptTyping).where(KeptTyping.staff_id == staff_id, KeptTyping.page == page)
        )
        session.add(KeptTyping(staff_id=staff_id, page=page, fields=kept, kept_at=now))
    log.info(
        "typing kept after the session ended",
        extra={"event": "typing_kept", "staff_id": staff_id, "fields": sorted(kept)},
    )
    return True


def has_kept_typing(db: Database, staff_id: int, *, now: dt.datetime) -> bool:
    """Whether anything is kept for `staff_id` within `KEEP`: asked once at login, so that the
    pages with a kept form look for it only in a session that may have some."""
    with db.reading() as connection:
        found = connection.execute(
            select(KeptTyping.id)
            .where(KeptTyping.staff_id == staff_id, KeptTyping.kept_at > now - KEEP)
            .limit(1)
        ).first()
    return found is not None


def take_typing(
    db: Database, staff_id: int, page: str, *, now: dt.datetime
) -> dict[str, str] | None:
    """The typing kept for `staff_id` on `page` within `KEEP`, deleted as it is given back."""
    with db.transaction(now=now) as session:
        row = session.scalars(
            select(KeptTyping)
            .where(
                KeptTyping.staff_id == staff_id,
                KeptTyping.page == page,
                KeptTyping.kept_at > now - KEEP,
            )
            .order_by(KeptTyping.id.desc())
        ).first()
        if row is None:
            return None
        fields = dict(row.fields)
        session.delete(row)
    log.info("kept typing given back", extra={"event": "typing_given_back", "staff_id": staff_id})
    return fields


def forget_old_typing(db: Database, now: dt.datetime) -> int:
    """Delete typing nobody came back for within `KEEP` (the daily clean-up)."""
    with db.transaction(now=now) as session:
        result = session.execute(delete(KeptTyping).where(KeptTyping.kept_at <= now - KEEP))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
