"""Patient link tokens: minted at send time, stored only as a hash, bound to one invitation.

A token is 256 bits from `secrets` (the link must be unguessable, ≥ 128 bits). The raw token
exists only in the message and in the patient's browser; the database keeps its SHA-256, so a
database copy cannot be turned into working links. Each send (invitation, reminder) mints a
fresh token; all of an invitation's tokens expire with its answer window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db.models import Invitation, InvitationToken

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_token(
    session: Session, invitation: Invitation, now: dt.datetime, *, flush: bool = True
) -> str:
    """Create a new link token for `invitation`, committed by the caller's transaction
    (flushed at once unless ``flush`` is false: a batch then inserts its tokens together)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        InvitationToken(
            invitation_id=invitation.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=invitation.expires_at,
        )
    )
    if flush:
        session.flush()
    return token


def link_path(token: str) -> str:
    return f"/p/{token}"


@dataclass(frozen=True)
class ResolvedToken:
    token_row: InvitationToken
    invitation: Invitation


def resolve_token(session: Session, token: str) -> ResolvedToken | None:
    """The invitation a token belongs to, whatever its state (the caller decides what it means).

    Returns None for a token that was never issued; validity (expiry, revocation, invitation
    state) is left to the caller so each case can get its own page.
    """
    if not token or len(token) > 128:
        return None
    row = session.scalar(
        select(InvitationToken).where(InvitationToken.token_hash == hash_token(token))
    )
    if row is None:
        return None
    return ResolvedToken(token_row=row, invitation=row.invitation)
