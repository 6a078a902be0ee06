"""Administrators link a staff account to its identity at the OpenID Connect provider.

The link is the provider's issuer and subject (`sub`: HelseID's pseudonymous person id, Entra
ID's object-bound subject). One identity belongs to at most one account; every link and unlink
writes an admin audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffExternalIdentity
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.staff_admin import end_sessions


class LinkRefused(Exception):
    """A stable code: no_subject, too_long, no_staff, taken."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IdentityLink:
    id: int
    staff_id: int
    staff_name: str
    username: str
    issuer: str
    subject: str
    created_at: dt.datetime
    last_login_at: dt.datetime | None


def identity_links(db: Database) -> list[IdentityLink]:
    with db.session() as session:
        rows = session.execute(
            select(StaffExternalIdentity, Staff.display_name, Staff.username)
            .join(Staff, Staff.id == StaffExternalIdentity.staff_id)
            .order_by(Staff.display_name, StaffExternalIdentity.id)
        ).all()
        return [
            IdentityLink(
                link.id,
                link.staff_id,
                name,
                username,
                link.issuer,
                link.subject,
                link.created_at,
                link.last_login_at,
            )
            for link, name, username in rows
        ]


def link_identity(
    db: Database, *, admin_id: int, staff_id: int, issuer: str, subject: str, now: dt.datetime
) -> None:
    """Link `issuer` + `subject` to the staff account (refuses an identity already linked)."""
    subject = subject.strip()
    if not subject:
        raise LinkRefused("no_subject")
    if len(subject) > 255 or len(issuer) > 255:
        raise LinkRefused("too_long")
    try:
        with db.transaction(now=now) as session:
            if session.get(Staff, staff_id) is None:
                raise LinkRefused("no_staff")
            taken = session.scalar(
                select(StaffExternalIdentity.id).where(
                    StaffExternalIdentity.issuer == issuer,
                    StaffExternalIdentity.subject == subject,
                )
            )
            if taken is not None:
                raise LinkRefused("taken")
            link = StaffExternalIdentity(
                staff_id=staff_id, issuer=issuer, subject=subject, created_at=now
            )
            session.add(link)
            session.flush()
            record_admin_change(
                session,
                staff_id=admin_id,
                action="identity_linked",
                target_kind="staff",
                target_id=staff_id,
                after={"issuer": issuer, "subject": subject},
                at=now,
            )
    except IntegrityError as exc:  # the same identity linked at the same moment elsewhere
        raise LinkRefused("taken") from exc


def unlink_identity(db: Database, *, admin_id: int, link_id: int, now: dt.datetime) -> bool:
    """Remove a link (the account keeps its password login, if any). False if none.

    Every open session of the person ends too: a session does not record how it was
    started, and an identity is removed because it was linked to the wrong person or is no
    longer trusted, so a session it may have started must not outlive it. The person logs
    in again (with a password, or another linked identity)."""
    with db.transaction(now=now) as session:
        link = session.get(StaffExternalIdentity, link_id)
        if link is None:
            return False
        ended = end_sessions(session, link.staff_id, now)
        record_admin_change(
            session,
            staff_id=admin_id,
            action="identity_unlinked",
            target_kind="staff",
            target_id=link.staff_id,
            before={"issuer": link.issuer, "subject": link.subject},
            after={"sessions_ended": ended},
            at=now,
        )
        session.delete(link)
    return True
