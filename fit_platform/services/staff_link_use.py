"""Using a staff member's set-password link: what it is worth now, and choosing the password.

The links are made by `services/staff_invites.py` (an invitation, a new-password link, or the
operator's printed link) and stored only as a hash. Opening one (GET) never spends it: mail
scanners open links first. Choosing a password spends it by one conditional UPDATE, sets the
password and activates the account in the same transaction, and withdraws every other link.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffInvite, StaffSession
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.links import hash_token
from fit_platform.services.passwords import hash_password, password_problem
from fit_platform.services.signal_workflow import keep_on_leads_list
from fit_platform.services.staff_handover import responsible_episodes
from fit_platform.services.staff_invites import (
    has_usable_password,
    link_may_set_password,
    withdraw_links,
)

log = logging.getLogger(__name__)


class InviteState(StrEnum):
    OPEN = "open"
    UNKNOWN = "unknown"  # never issued, or replaced by a newer link
    USED = "used"
    EXPIRED = "expired"  # also: withdrawn by an administrator


@dataclass(frozen=True)
class InviteView:
    state: InviteState
    username: str | None = None
    display_name: str | None = None
    new_password: bool = False


def _find(session: Session, token: str) -> StaffInvite | None:
    if not token or len(token) > 128:
        return None
    return session.scalar(select(StaffInvite).where(StaffInvite.token_hash == hash_token(token)))


def _state(invite: StaffInvite | None, now: dt.datetime) -> InviteState:
    if invite is None:
        return InviteState.UNKNOWN
    if invite.used_at is not None:
        return InviteState.USED
    if invite.revoked_at is not None or invite.expires_at <= now:
        return InviteState.EXPIRED
    return InviteState.OPEN


def look_up_invite(db: Database, token: str, now: dt.datetime) -> InviteView:
    """What a set-password link is worth now (reading never spends it)."""
    with db.session(now=now) as session:
        invite = _find(session, token)
        state = _state(invite, now)
        if state is not InviteState.OPEN or invite is None:
            return InviteView(state)
        staff = session.get_one(Staff, invite.staff_id)
        if not link_may_set_password(staff):
            return InviteView(InviteState.EXPIRED)
        return InviteView(
            state, staff.username, staff.display_name, new_password=has_usable_password(staff)
        )


def accept_invite(db: Database, token: str, password: str, now: dt.datetime) -> InviteState | str:
    """Set the password through a live link: the first one (activating the account), or a new
    one for an active account that was sent a new-password link (ending its sessions).

    Returns ``InviteState.OPEN`` on success (the link is then spent), another state when the
    link no longer works, or a password problem code (too_short, too_common,
    same_as_username) with nothing changed. The same rule as a password changed on the web.
    """
    with db.transaction(now=now) as session:
        invite = _find(session, token)
        state = _state(invite, now)
        if state is not InviteState.OPEN or invite is None:
            return state
        staff = session.get_one(Staff, invite.staff_id)
        if not link_may_set_password(staff):
            return InviteState.EXPIRED
        problem = password_problem(password, user_inputs=(staff.username, staff.display_name))
        if problem is None and password.strip().lower() == staff.username.lower():
            problem = "same_as_username"
        if problem is not None:
            return problem
        spent = session.execute(
            update(StaffInvite)
            .where(
                StaffInvite.id == invite.id,
                StaffInvite.used_at.is_(None),
                StaffInvite.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            return InviteState.USED
        replacing = has_usable_password(staff)
        staff.password_hash = hash_password(password)
        if not staff.is_active:
            keep_on_leads_list(session, responsible_episodes(session, staff.id), now)
        staff.is_active = True
        withdraw_links(session, staff.id, now)
        if replacing:
            # Someone else may have known the old password: every open session ends.
            ended = session.execute(
                update(StaffSession)
                .where(StaffSession.staff_id == staff.id, StaffSession.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            record_admin_change(
                session,
                staff_id=staff.id,
                action="password_set_by_link",
                target_kind="staff",
                target_id=staff.id,
                after={"sessions_ended": int(ended.rowcount)},  # type: ignore[attr-defined]
                at=now,
            )
        else:
            record_admin_change(
                session,
                staff_id=staff.id,
                action="invitation_accepted",
                target_kind="staff",
                target_id=staff.id,
                before={"is_active": False},
                after={"is_active": True},
                at=now,
            )
        staff_id = staff.id
    log.info("staff invitation accepted", extra={"event": "invite_accepted", "staff_id": staff_id})
    return InviteState.OPEN
