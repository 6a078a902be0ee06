"""Every staff request resumes its session: the session, the staff member and all of the
member's roles are read in one statement and the last-seen time written in one, and the
identity is the same as the session's rows say (idle, expiry and revocation are in
tests/web/test_staff_login.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffSession
from fit_platform.domain.codes import Role
from fit_platform.services.staff_auth import open_session, resume_session
from tests.support.factories import NOW, make_staff, make_unit
from tests.support.queries import count_statements

IDLE = dt.timedelta(minutes=30)


def _session_for(db: Database, staff_id: int) -> str:
    with db.transaction() as session:
        staff = session.get(Staff, staff_id)
        assert staff is not None
        result = open_session(session, staff, NOW, dt.timedelta(hours=8))
    assert result.session_id is not None
    return result.session_id


def test_a_request_reads_the_session_account_and_every_role_in_one_statement(
    db: Database,
) -> None:
    first, second = make_unit(db), make_unit(db)
    staff = make_staff(
        db, (Role.THERAPIST, first.id), (Role.UNIT_LEAD, second.id), (Role.ADMIN, None)
    )
    session_id = _session_for(db, staff.id)
    later = NOW + dt.timedelta(minutes=10)
    with count_statements(db.engine) as counter:
        identity = resume_session(db, session_id, idle=IDLE, now=later)
    assert identity is not None
    assert identity.staff_id == staff.id and identity.display_name == staff.display_name
    assert identity.roles == {
        (Role.THERAPIST, first.id),
        (Role.UNIT_LEAD, second.id),
        (Role.ADMIN, None),
    }
    assert identity.expires_at == later + IDLE and not identity.totp_enrolled
    selects = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
    updates = [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE")]
    assert (len(selects), len(updates)) == (1, 1)
    # The idle time runs from this request.
    with db.transaction() as session:
        seen = session.scalar(
            select(StaffSession.last_seen_at).where(StaffSession.staff_id == staff.id)
        )
    assert seen == later


def test_a_staff_member_without_roles_is_still_signed_in_with_none(db: Database) -> None:
    staff = make_staff(db)
    identity = resume_session(db, _session_for(db, staff.id), idle=IDLE, now=NOW)
    assert identity is not None and identity.roles == frozenset()


def test_an_idle_session_is_not_resumed_and_its_last_seen_time_stays(db: Database) -> None:
    staff = make_staff(db, (Role.THERAPIST, make_unit(db).id))
    session_id = _session_for(db, staff.id)
    assert resume_session(db, session_id, idle=IDLE, now=NOW + IDLE) is None
    assert resume_session(db, "not-a-session", idle=IDLE, now=NOW) is None
    with db.transaction() as session:
        seen = session.scalar(
            select(StaffSession.last_seen_at).where(StaffSession.staff_id == staff.id)
        )
    assert seen == NOW
