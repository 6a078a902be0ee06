"""What a patient link leads to, read in one statement: the hot path of every patient page.

Every patient page starts by finding the invitation behind the link (by the token's hash on
the landing page, by the token row id the browser's session keeps after that) together with
the episode, the patient's language and consent, the unit's name and phone, and the answers
saved so far. One joined SELECT brings all of it back (one row per saved answer, at least
one row), on a connection outside any transaction: a read-only page then costs one round
trip to the database instead of one per table plus BEGIN and ROLLBACK.

Reading a link changes nothing (link scanners fetch links).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, bindparam, select

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Invitation,
    InvitationToken,
    ItemAnswer,
    Patient,
    Response,
    Unit,
)
from fit_platform.domain.codes import Channel, ConsentState, InvitationState, Language
from fit_platform.domain.instruments import Instrument, get_instrument
from fit_platform.services.links import hash_token

ITEMS_PER_PAGE = 5
# Longest token the landing page looks up; anything longer was never issued.
TOKEN_MAX = 128


class LinkStatus(StrEnum):
    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DECLINED = "declined"


@dataclass(frozen=True)
class LinkContext:
    """Everything a patient page needs to know about the invitation behind a link."""

    status: LinkStatus
    invitation_id: int | None = None
    token_id: int | None = None
    patient_id: int | None = None
    episode_id: int | None = None
    unit_id: int | None = None
    programme_id: int | None = None
    instrument_id: str | None = None
    unit_name: str = ""
    unit_phone: str | None = None
    opening_hours: str | None = None
    expires_at: dt.datetime | None = None
    language: Language | None = None
    consent_state: ConsentState = ConsentState.ACTIVE
    paused_until: dt.date | None = None
    preferred_channel: Channel = Channel.SMS
    has_phone: bool = False
    has_email: bool = False
    response_id: int | None = None
    saved_link_ids: frozenset[str] = field(default_factory=frozenset)
    # The saved answers' values (None for an item left blank), to fill in a page again.
    saved_values: Mapping[str, float | None] = field(default_factory=dict, compare=False)

    @property
    def instrument(self) -> Instrument:
        assert self.instrument_id is not None
        return get_instrument(self.instrument_id)

    @property
    def started(self) -> bool:
        return bool(self.saved_link_ids)

    def next_page(self) -> int:
        """The first page (1-based) not saved yet; one past the last when all are saved."""
        plan = page_plan(self.instrument)
        for number, link_ids in enumerate(plan, start=1):
            if not set(link_ids) <= self.saved_link_ids:
                return number
        return len(plan) + 1


_PLANS: dict[tuple[str, str, int], list[tuple[str, ...]]] = {}


def page_plan(instrument: Instrument, per_page: int = ITEMS_PER_PAGE) -> list[tuple[str, ...]]:
    """Items split into pages of at most ``per_page``, as evenly as possible (10 → 5 + 5).

    Kept per instrument version: every patient page asks for it, and it never changes.
    """
    key = (instrument.id, instrument.version, per_page)
    plan = _PLANS.get(key)
    if plan is None:
        ids = [item.link_id for item in instrument.items]
        pages = max(1, math.ceil(len(ids) / per_page))
        size = math.ceil(len(ids) / pages)
        plan = [tuple(ids[i : i + size]) for i in range(0, len(ids), size)]
        _PLANS[key] = plan
    return list(plan)


def invitation_link_status(
    state: InvitationState, expires_at: dt.datetime, now: dt.datetime
) -> LinkStatus:
    """What an invitation in ``state``, open until ``expires_at``, means for its links now."""
    if state is InvitationState.COMPLETED:
        return LinkStatus.COMPLETED
    if state is InvitationState.DECLINED:
        return LinkStatus.DECLINED
    if state is InvitationState.CANCELLED:
        return LinkStatus.CANCELLED
    if state is InvitationState.EXPIRED or now >= expires_at:
        return LinkStatus.EXPIRED
    return LinkStatus.OPEN


def _columns() -> Select[Any]:
    return (
        select(
            InvitationToken.id.label("token_id"),
            InvitationToken.expires_at.label("token_expires_at"),
            InvitationToken.revoked_at.label("token_revoked_at"),
            Invitation.id.label("invitation_id"),
            Invitation.state.label("invitation_state"),
            Invitation.expires_at.label("invitation_expires_at"),
            Invitation.instrument_id.label("instrument_id"),
            Episode.id.label("episode_id"),
            Episode.programme_id.label("programme_id"),
            Patient.id.label("patient_id"),
            Patient.preferred_language.label("language"),
            Patient.consent_state.label("consent_state"),
            Patient.paused_until.label("paused_until"),
            Patient.preferred_channel.label("preferred_channel"),
            Patient.phone_e164.label("phone"),
            Patient.email.label("email"),
            Unit.id.label("unit_id"),
            Unit.name.label("unit_name"),
            Unit.phone.label("unit_phone"),
            Unit.opening_hours.label("opening_hours"),
            Response.id.label("response_id"),
            ItemAnswer.link_id.label("link_id"),
            ItemAnswer.value.label("value"),
        )
        .select_from(InvitationToken)
        .join(Invitation, Invitation.id == InvitationToken.invitation_id)
        .join(Episode, Episode.id == Invitation.episode_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Unit, Unit.id == Episode.unit_id)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .outerjoin(ItemAnswer, ItemAnswer.response_id == Response.id)
    )


# Built once per process; SQLAlchemy caches their compiled SQL too.
BY_TOKEN_HASH = _columns().where(InvitationToken.token_hash == bindparam("token_hash"))
BY_TOKEN_ID = _columns().where(InvitationToken.id == bindparam("token_id"))


def _from_rows(rows: list[Any], now: dt.datetime) -> LinkContext:
    if not rows:
        return LinkContext(status=LinkStatus.UNKNOWN)
    first = rows[0]
    status = invitation_link_status(first.invitation_state, first.invitation_expires_at, now)
    if status is LinkStatus.OPEN and first.token_revoked_at is not None:
        status = LinkStatus.CANCELLED
    elif status is LinkStatus.OPEN and now >= first.token_expires_at:
        status = LinkStatus.EXPIRED
    values = {row.link_id: row.value for row in rows if row.link_id is not None}
    return LinkContext(
        status=status,
        invitation_id=first.invitation_id,
        token_id=first.token_id,
        patient_id=first.patient_id,
        episode_id=first.episode_id,
        unit_id=first.unit_id,
        programme_id=first.programme_id,
        instrument_id=first.instrument_id,
        unit_name=first.unit_name,
        unit_phone=first.unit_phone,
        opening_hours=first.opening_hours,
        expires_at=first.invitation_expires_at,
        language=first.language,
        consent_state=first.consent_state,
        paused_until=first.paused_until,
        preferred_channel=first.preferred_channel,
        has_phone=bool(first.phone),
        has_email=bool(first.email),
        response_id=first.response_id,
        saved_link_ids=frozenset(values),
        saved_values=values,
    )


def inspect_link(db: Database, token: str, now: dt.datetime) -> LinkContext:
    """What a link leads to. Read-only: safe for GET and for link scanners.

    A token that was never issued (or is empty or too long to be one) gives ``UNKNOWN``.
    """
    if not token or len(token) > TOKEN_MAX:
        return LinkContext(status=LinkStatus.UNKNOWN)
    with db.reading() as connection:
        rows = connection.execute(BY_TOKEN_HASH, {"token_hash": hash_token(token)}).all()
    return _from_rows(rows, now)


def load_context(db: Database, token_id: int, now: dt.datetime) -> LinkContext:
    """The context for a link the browser already opened (its token row id is in the session)."""
    with db.reading() as connection:
        rows = connection.execute(BY_TOKEN_ID, {"token_id": token_id}).all()
    return _from_rows(rows, now)


def saved_codes(ctx: LinkContext) -> dict[str, str | None]:
    """The saved answers as the form's codes, to fill in a page the patient comes back to."""
    if not ctx.saved_values:
        return {}
    instrument = ctx.instrument
    out: dict[str, str | None] = {}
    for link_id, value in ctx.saved_values.items():
        try:
            item = instrument.item(link_id)
        except KeyError:
            continue
        if value is None:
            out[link_id] = None
        elif item.vas is not None:
            out[link_id] = f"{value:g}"
        else:
            match = next((o for o in item.options if o.value == value), None)
            out[link_id] = match.code if match else None
    return out
