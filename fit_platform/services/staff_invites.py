"""Inviting a staff member by e-mail: a single-use set-password link that expires.

An administrator's invitation creates an inactive account and queues one outbox e-mail (no
text, no token). The dispatcher mints the token when it sends the message
(:func:`mint_invite_token`) and the database keeps only its SHA-256, as for patient links
(`services/links.py`): the raw token exists only in the e-mail and in the new staff member's
browser, never in a log, an outbox row or an audit row. Sending again replaces the hash, so
only the newest link works. The link works until ``INVITE_VALID_FOR`` after the invitation;
setting a password spends it (one conditional UPDATE) and activates the account
(`services/staff_link_use.py`).

The same link serves an active staff member who has forgotten their password
(:func:`send_password_link`): an administrator sends it to the address on the account, and
choosing a password with it replaces the old one and ends every session of the account. A
link of an account deactivated meanwhile no longer works.

Where the service has no e-mail, the operator's command prints the link instead
(:func:`print_link_for_operator`, `fit-platform staff invite-link`): the same step, with the
token minted at once for the operator's screen and no outbox row.

Accounts that never set a password hold an unusable password hash (``!`` and random text,
the convention Django uses): no password verifies against it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    OutboxMessage,
    Staff,
    StaffInvite,
    StaffRole,
    Unit,
)
from fit_platform.domain.codes import SERVICE_WIDE_ROLES, Channel, MessageKind, Role
from fit_platform.messaging.addresses import InvalidAddress, normalise_email
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.form_once import form_key, run_once
from fit_platform.services.links import hash_token

log = logging.getLogger(__name__)

INVITE_VALID_FOR = dt.timedelta(hours=72)
TOKEN_BYTES = 32
UNUSABLE_PREFIX = "!"


class StaffChangeRefused(Exception):
    """Why an administrator's change was refused: a stable code the page turns into a message.
    `codes` holds every reason found (the first is `code`), so a form names them all at once."""

    def __init__(self, code: str, *more: str) -> None:
        super().__init__(code)
        self.code = code
        self.codes: tuple[str, ...] = (code, *more)


def unusable_password() -> str:
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def has_usable_password(staff: Staff) -> bool:
    return not staff.password_hash.startswith(UNUSABLE_PREFIX)


def link_may_set_password(staff: Staff) -> bool:
    """An invitation of someone who never set a password, or a new-password link of an active
    account; never a link of an account deactivated after it had a password."""
    return staff.is_active or not has_usable_password(staff)


def invite_path(token: str) -> str:
    return f"/staff/invite/{token}"


def _open_invite(
    session: Session, staff_id: int, admin_id: int | None, now: dt.datetime
) -> StaffInvite:
    invite = StaffInvite(
        staff_id=staff_id, created_by=admin_id, created_at=now, expires_at=now + INVITE_VALID_FOR
    )
    session.add(invite)
    session.flush()
    return invite


def _queue_invite(session: Session, staff_id: int, admin_id: int, now: dt.datetime) -> int:
    invite = _open_invite(session, staff_id, admin_id, now)
    session.add(
        OutboxMessage(
            dedupe_key=f"staff_invite:{invite.id}",
            patient_id=None,
            staff_invite_id=invite.id,
            kind=MessageKind.STAFF_INVITE,
            channel=Channel.EMAIL,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return invite.id


def withdraw_links(session: Session, staff_id: int, now: dt.datetime) -> None:
    """Every live link of the person stops working (in the caller's transaction)."""
    session.execute(
        update(StaffInvite)
        .where(
            StaffInvite.staff_id == staff_id,
            StaffInvite.used_at.is_(None),
            StaffInvite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def role_problems(session: Session, role: Role | None, unit_id: int | None) -> list[str]:
    """Therapists and unit leads work in a unit; administrators and service developers for the
    whole service (`codes.SERVICE_WIDE_ROLES`). A role not chosen (None) leaves only the unit
    to check."""
    if role in (Role.THERAPIST, Role.UNIT_LEAD) and unit_id is None:
        return ["unit_required"]
    if role in SERVICE_WIDE_ROLES and unit_id is not None:
        return ["service_wide_role"]
    if unit_id is not None and session.get(Unit, unit_id) is None:
        return ["no_such_unit"]
    return []


def _username(email: str) -> str | None:
    try:
        return normalise_email(email).lower()
    except InvalidAddress:
        return None


def _invite_problems(
    session: Session, email: str, display_name: str, role: Role | None, unit_id: int | None
) -> list[str]:
    """Every reason an invitation would be refused, not only the first."""
    username = _username(email)
    problems = [] if username is not None else ["invalid_email"]
    if not " ".join(display_name.split()):
        problems.append("no_name")
    problems += role_problems(session, role, unit_id)
    # A new person is not invited into an archived unit, which takes no new patients and sends
    # nothing; someone to take over its open episodes is given a role there on the staff page.
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit is not None and unit.archived_at is not None:
        problems.append("unit_archived")
    if username is not None and session.scalar(select(Staff.id).where(Staff.username == username)):
        problems.append("exists")
    return problems


def invite_problems(
    db: Database, *, email: str, display_name: str, role: Role | None, unit_id: int | None
) -> list[str]:
    """What `invite_staff` would refuse, saving nothing: the page asks when its own form has
    found errors too, so every message comes in one round."""
    with db.session() as session:
        return _invite_problems(session, email, display_name, role, unit_id)


def invite_staff(
    db: Database,
    admin_id: int,
    *,
    email: str,
    display_name: str,
    role: Role,
    unit_id: int | None,
    now: dt.datetime,
    form_nonce: str | None = None,
) -> int:
    """Create an inactive account with one role and queue its invitation e-mail.

    For administrators (the admin pages). Refuses an address that already has an account
    (`exists`), a bad address, an empty name, or a clinical role without a unit; nothing is
    saved then. Writes the audit row in the same transaction; returns the new staff id.
    """
    username = _username(email) or ""
    name = " ".join(display_name.split())

    def create(session: Session) -> int:
        if problems := _invite_problems(session, email, display_name, role, unit_id):
            raise StaffChangeRefused(*problems)
        staff = Staff(
            username=username,
            display_name=name,
            password_hash=unusable_password(),
            is_active=False,
            created_at=now,
        )
        staff.roles = [StaffRole(role=role, unit_id=unit_id)]
        session.add(staff)
        session.flush()
        _queue_invite(session, staff.id, admin_id, now)
        record_admin_change(
            session,
            staff_id=admin_id,
            action="staff_invited",
            target_kind="staff",
            target_id=staff.id,
            after={
                "username": username,
                "display_name": name,
                "roles": [f"{role.value}@{unit_id if unit_id is not None else 'all'}"],
                "invitation_expires_at": (now + INVITE_VALID_FOR).isoformat(timespec="minutes"),
            },
            at=now,
        )
        return staff.id

    # A double click or a re-sent POST answers with the first invitation (services/form_once.py)
    # instead of "that address has an account already".
    key = form_key("staff_invite", f"staff:{admin_id}", form_nonce)
    once = run_once(db, key, now, create)
    staff_id = once.result_id
    assert staff_id is not None
    if once.repeated:
        return staff_id
    log.info(
        "staff invited",
        extra={"event": "staff_invited", "staff_id": staff_id},
    )
    return staff_id


def _replace_link(
    session: Session,
    admin_id: int | None,
    staff_id: int,
    now: dt.datetime,
    action: str,
    link: str,
) -> StaffInvite:
    """Withdraw the person's earlier links, open a new one, and audit it as `action` with
    `<link>_expires_at` (the invitation and the new-password link share the mechanism).

    An administrator's link (`admin_id` given) is queued as an e-mail; the dispatcher mints
    its token. A command's link (`admin_id` None) is not queued: the caller mints the token
    at once and hands it to the operator (:func:`print_link_for_operator`)."""
    withdraw_links(session, staff_id, now)
    if admin_id is not None:
        invite_id = _queue_invite(session, staff_id, admin_id, now)
        invite = session.get_one(StaffInvite, invite_id)
    else:
        invite = _open_invite(session, staff_id, None, now)
    after: dict[str, object] = {
        f"{link}_expires_at": (now + INVITE_VALID_FOR).isoformat(timespec="minutes")
    }
    if admin_id is None:
        after["printed_for_operator"] = True
    record_admin_change(
        session,
        staff_id=admin_id,
        action=action,
        target_kind="staff",
        target_id=staff_id,
        after=after,
        at=now,
    )
    return invite


def invite_again(db: Database, admin_id: int, staff_id: int, *, now: dt.datetime) -> None:
    """A new link for someone who has not set a password yet; earlier links stop working."""
    with db.transaction(now=now) as session:
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise StaffChangeRefused("not_found")
        if has_usable_password(staff):
            raise StaffChangeRefused("already_activated")
        _replace_link(session, admin_id, staff_id, now, "staff_invited_again", "invitation")
    log.info("staff invited again", extra={"event": "staff_invited_again", "staff_id": staff_id})


def send_password_link(db: Database, admin_id: int, staff_id: int, *, now: dt.datetime) -> None:
    """A link to choose a new password, e-mailed to an active staff member who has forgotten
    theirs (admin pages). Earlier links stop working; the old password works until a new one
    is chosen. Refuses the administrator's own account (they change it on their account
    page) and an account that is not active or never set a password. Writes the audit row in
    the same transaction."""
    if staff_id == admin_id:
        raise StaffChangeRefused("self")
    with db.transaction(now=now) as session:
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise StaffChangeRefused("not_found")
        if not has_usable_password(staff):
            raise StaffChangeRefused("never_activated")
        if not staff.is_active:
            raise StaffChangeRefused("already_inactive")
        _replace_link(session, admin_id, staff_id, now, "password_link_sent", "link")
    log.info("password link sent", extra={"event": "password_link_sent", "staff_id": staff_id})


def _mint(session: Session, invite: StaffInvite) -> str:
    """A fresh token for `invite`; only its hash is kept, replacing any earlier one."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invite.token_hash = hash_token(token)
    session.flush()
    return token


@dataclass(frozen=True)
class PrintedLink:
    """A set-password link made for the operator's command: the raw token (only here and on
    the operator's screen), when it stops working, and whether it replaces a password."""

    staff_id: int
    token: str
    expires_at: dt.datetime
    new_password: bool


def print_link_for_operator(
    db: Database, username: str, *, now: dt.datetime, local_passwords: bool = True
) -> PrintedLink:
    """A set-password link for an existing staff member, for the operator to hand over where
    the service has no e-mail (`fit-platform staff invite-link`).

    The same step as an administrator inviting again or sending a new-password link: earlier
    links stop working, the new one works once until ``INVITE_VALID_FOR`` from now, and the
    audit row (actor 'command') is written in the same transaction. Only the token's hash is
    stored; it is never logged. For someone who never set a password it is their invitation;
    for an active account, a link to choose a new password. Refuses an unknown username
    (`not_found`), an account deactivated after it had a password (`already_inactive`), and a
    new password where staff log in only through the identity provider
    (`no_local_passwords`)."""
    wanted = username.strip().lower()
    with db.transaction(now=now) as session:
        staff = session.scalar(select(Staff).where(Staff.username == wanted))
        if staff is None:
            raise StaffChangeRefused("not_found")
        if not link_may_set_password(staff):
            raise StaffChangeRefused("already_inactive")
        new_password = has_usable_password(staff)
        if new_password and not local_passwords:
            raise StaffChangeRefused("no_local_passwords")
        if new_password:
            invite = _replace_link(session, None, staff.id, now, "password_link_sent", "link")
        else:
            invite = _replace_link(
                session, None, staff.id, now, "staff_invited_again", "invitation"
            )
        token = _mint(session, invite)
        printed = PrintedLink(staff.id, token, invite.expires_at, new_password)
    log.info(
        "staff link printed for the operator",
        extra={"event": "staff_link_printed", "staff_id": printed.staff_id},
    )
    return printed


@dataclass(frozen=True)
class InviteMail:
    """What the dispatcher needs to send one invitation (the address and language), and
    whether it is for a new password rather than a first one."""

    address: str
    language: str
    token: str
    valid_hours: int
    new_password: bool = False
    # The names of the units the account has a role in; empty when every role is service-wide.
    units: tuple[str, ...] = ()


def mint_invite_token(session: Session, invite_id: int, now: dt.datetime) -> InviteMail | None:
    """For the dispatcher, at send time only: a fresh token for a live invitation (its hash
    replaces any earlier one), or None when the invitation was used, withdrawn or expired."""
    invite = session.get(StaffInvite, invite_id)
    if (
        invite is None
        or invite.used_at is not None
        or invite.revoked_at is not None
        or invite.expires_at <= now
    ):
        return None
    staff = session.get(Staff, invite.staff_id)
    if staff is None or not link_may_set_password(staff):
        return None
    token = _mint(session, invite)
    # Rounded up: "72 hours" straight after the invitation, not 71 and some minutes.
    hours = max(1, math.ceil((invite.expires_at - now).total_seconds() / 3600))
    return InviteMail(
        staff.username,
        staff.preferred_language.value,
        token,
        hours,
        new_password=has_usable_password(staff),
        units=_unit_names(session, staff.id),
    )


def _unit_names(session: Session, staff_id: int) -> tuple[str, ...]:
    """The units the person has a role in, by name, for the mail to say which service it is."""
    names = session.scalars(
        select(Unit.name)
        .join(StaffRole, StaffRole.unit_id == Unit.id)
        .where(StaffRole.staff_id == staff_id)
        .distinct()
        .order_by(Unit.name)
    )
    return tuple(names)
