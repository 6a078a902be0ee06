"""What a patient link leads to, read in one statement: the hot path of every patient page.

Every patient page starts by finding the invitation behind the link (by the token's hash on
the landing page, by the token row id the browser's session keeps after that) together with
the episode, the patient's language and consent, the unit's name and phone, whether the
episode has an active responsible therapist (an EXISTS inside the same statement), and the
answers saved so far. One joined SELECT brings all of it back (one row per saved answer, at
least one row), on a connection outside any transaction: a read-only page then costs one
round trip to the database instead of one per table plus BEGIN and ROLLBACK. On PostgreSQL that
connection is the process's own for such reads (`db/direct_read.py`): the statement is
prepared once and its rows come back as plain tuples, past SQLAlchemy's pool and result
handling, which cost the web worker more CPU than the database spent answering.

Reading a link changes nothing (link scanners fetch links).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Exists, Select, bindparam, literal_column, select
from sqlalchemy.orm import aliased

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
from fit_platform.domain.codes import (
    Channel,
    ConsentState,
    EpisodeStatus,
    InvitationState,
    Language,
)
from fit_platform.domain.instruments import Instrument, get_instrument
from fit_platform.domain.unit_texts import FALLBACK, LocalisedText, text_for
from fit_platform.services.links import hash_token
from fit_platform.services.unattended import has_active_responsible

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
    # This browser's session was ended on the server (logged out, finished elsewhere, link
    # revoked): never read from the database, set by the web layer for the refusal page.
    ENDED = "ended"


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
    # The invitation's state as read, which the page save's write checks is unchanged
    # (`services/page_save.py`); pages go by ``status``.
    invitation_state: InvitationState | None = None
    # Why a cancelled or skipped invitation went unanswered (`episode_closed`, …): the closed
    # link's page tells the patient the real reason.
    non_response_reason: str | None = None
    # False once the episode has ended: nothing is left to pause or stop.
    episode_active: bool = True
    unit_name: str = ""
    unit_phone: str | None = None
    # The unit's opening hours: bokmål, nynorsk, English (`opening_hours_in` picks one).
    opening_hours: str | None = None
    opening_hours_nn: str | None = None
    opening_hours_en: str | None = None
    # Whether an active therapist is responsible for the episode. False when the responsible
    # therapist was deactivated or nobody is: the pages then promise no "your therapist"
    # (web/patient/readers.py; services/unattended.py). Only the joined read sets it; a
    # context built without one (an unknown link, an ended visit) promises nobody.
    therapist_active: bool = False
    expires_at: dt.datetime | None = None
    language: Language | None = None
    consent_state: ConsentState = ConsentState.ACTIVE
    paused_until: dt.date | None = None
    preferred_channel: Channel = Channel.SMS
    has_phone: bool = False
    has_email: bool = False
    response_id: int | None = None
    # The patient's session generation now, and whether this link was revoked: a browser
    # whose cookie holds an older generation, or a revoked link, is refused (docs/security.md).
    session_generation: int = 0
    token_revoked: bool = False
    # When this link stopped opening a questionnaire (its own end, or its revocation): the
    # retention clean-up deletes it a set number of days later, after which it opens nothing
    # (`services/retention.py`); the ended treatment's page says until when it shows progress.
    token_closed_at: dt.datetime | None = None
    # The patient has an open episode: a later course of treatment when this link's own has
    # ended (a returning patient, services/registration.py); her own plan is read again.
    patient_in_treatment: bool = False
    saved_link_ids: frozenset[str] = field(default_factory=frozenset)
    # The saved answers' values (None for an item left blank), to fill in a page again.
    saved_values: Mapping[str, float | None] = field(default_factory=dict, compare=False)

    @property
    def instrument(self) -> Instrument:
        assert self.instrument_id is not None
        return get_instrument(self.instrument_id)

    def opening_hours_in(self, language: str) -> LocalisedText | None:
        """The opening hours for a page in `language`, or the bokmål ones, with the language
        they are written in (the page marks a fallback as Norwegian)."""
        texts = {
            Language.BOKMAAL: self.opening_hours,
            Language.NYNORSK: self.opening_hours_nn,
            Language.ENGLISH: self.opening_hours_en,
        }
        wanted = Language(language) if language in Language._value2member_map_ else FALLBACK
        return text_for(texts, wanted)

    @property
    def started(self) -> bool:
        return bool(self.saved_link_ids)

    def next_page(self) -> int:
        """The first page (1-based) not saved yet; one past the last when all are saved."""
        return first_unsaved_page(page_plan(self.instrument), self.saved_link_ids)


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


def first_unsaved_page(plan: Sequence[Sequence[str]], saved: frozenset[str]) -> int:
    """The first page (1-based) of ``plan`` with a question not in ``saved``; one past the
    last when every question is saved (the check page is next)."""
    for number, link_ids in enumerate(plan, start=1):
        if not set(link_ids) <= saved:
            return number
    return len(plan) + 1


def has_risk_question(instrument: Instrument, link_ids: Sequence[str]) -> bool:
    """Whether the page of ``link_ids`` asks a risk question: its save raises the signal, so
    it goes through the ORM path with the signal functions (services/page_save.py)."""
    return any(item.link_id in link_ids for item in instrument.risk_items)


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


def _in_treatment() -> Exists:
    """EXISTS an open episode of the link's patient (a later course, when the link's own
    has ended). The status is a constant in the SQL text: the prepared read passes only its
    own parameters (db/direct_read.py)."""
    course = aliased(Episode)
    return (
        select(course.id)
        .where(
            course.patient_id == Patient.id,
            course.status == literal_column(f"'{EpisodeStatus.ACTIVE.value}'"),
        )
        .exists()
    )


def _columns() -> Select[*tuple[Any, ...]]:
    return (
        select(
            InvitationToken.id.label("token_id"),
            InvitationToken.expires_at.label("token_expires_at"),
            InvitationToken.revoked_at.label("token_revoked_at"),
            Invitation.id.label("invitation_id"),
            Invitation.state.label("invitation_state"),
            Invitation.expires_at.label("invitation_expires_at"),
            Invitation.instrument_id.label("instrument_id"),
            Invitation.non_response_reason.label("non_response_reason"),
            Episode.id.label("episode_id"),
            Episode.programme_id.label("programme_id"),
            Episode.status.label("episode_status"),
            Patient.id.label("patient_id"),
            Patient.preferred_language.label("language"),
            Patient.consent_state.label("consent_state"),
            Patient.paused_until.label("paused_until"),
            Patient.preferred_channel.label("preferred_channel"),
            Patient.phone_e164.label("phone"),
            Patient.email.label("email"),
            Patient.session_generation.label("session_generation"),
            Unit.id.label("unit_id"),
            Unit.name.label("unit_name"),
            Unit.phone.label("unit_phone"),
            Unit.opening_hours.label("opening_hours"),
            Unit.opening_hours_nn.label("opening_hours_nn"),
            Unit.opening_hours_en.label("opening_hours_en"),
            has_active_responsible(Episode.id, Episode.unit_id).label("therapist_active"),
            _in_treatment().label("patient_in_treatment"),
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

# The columns' positions in a row of either statement.
(
    _TOKEN_ID,
    _TOKEN_EXPIRES_AT,
    _TOKEN_REVOKED_AT,
    _INVITATION_ID,
    _INVITATION_STATE,
    _INVITATION_EXPIRES_AT,
    _INSTRUMENT_ID,
    _NON_RESPONSE_REASON,
    _EPISODE_ID,
    _PROGRAMME_ID,
    _EPISODE_STATUS,
    _PATIENT_ID,
    _LANGUAGE,
    _CONSENT_STATE,
    _PAUSED_UNTIL,
    _PREFERRED_CHANNEL,
    _PHONE,
    _EMAIL,
    _SESSION_GENERATION,
    _UNIT_ID,
    _UNIT_NAME,
    _UNIT_PHONE,
    _OPENING_HOURS,
    _OPENING_HOURS_NN,
    _OPENING_HOURS_EN,
    _THERAPIST_ACTIVE,
    _PATIENT_IN_TREATMENT,
    _RESPONSE_ID,
    _LINK_ID,
    _VALUE,
) = range(30)
assert len(BY_TOKEN_ID.selected_columns) == _VALUE + 1


def _from_rows(
    first: Sequence[Any], rows: Sequence[Sequence[Any]], now: dt.datetime
) -> LinkContext:
    """The context from the statement's rows; ``first`` is the first row with its values
    converted to Python's types (enums, aware UTC timestamps)."""
    status = invitation_link_status(first[_INVITATION_STATE], first[_INVITATION_EXPIRES_AT], now)
    if status is LinkStatus.OPEN and first[_TOKEN_REVOKED_AT] is not None:
        status = LinkStatus.CANCELLED
    elif status is LinkStatus.OPEN and now >= first[_TOKEN_EXPIRES_AT]:
        status = LinkStatus.EXPIRED
    values = {row[_LINK_ID]: row[_VALUE] for row in rows if row[_LINK_ID] is not None}
    return LinkContext(
        status=status,
        invitation_id=first[_INVITATION_ID],
        token_id=first[_TOKEN_ID],
        patient_id=first[_PATIENT_ID],
        episode_id=first[_EPISODE_ID],
        unit_id=first[_UNIT_ID],
        programme_id=first[_PROGRAMME_ID],
        instrument_id=first[_INSTRUMENT_ID],
        invitation_state=first[_INVITATION_STATE],
        non_response_reason=first[_NON_RESPONSE_REASON],
        episode_active=first[_EPISODE_STATUS] is EpisodeStatus.ACTIVE,
        unit_name=first[_UNIT_NAME],
        unit_phone=first[_UNIT_PHONE],
        opening_hours=first[_OPENING_HOURS],
        opening_hours_nn=first[_OPENING_HOURS_NN],
        opening_hours_en=first[_OPENING_HOURS_EN],
        therapist_active=bool(first[_THERAPIST_ACTIVE]),
        patient_in_treatment=bool(first[_PATIENT_IN_TREATMENT]),
        expires_at=first[_INVITATION_EXPIRES_AT],
        language=first[_LANGUAGE],
        consent_state=first[_CONSENT_STATE],
        paused_until=first[_PAUSED_UNTIL],
        preferred_channel=first[_PREFERRED_CHANNEL],
        has_phone=bool(first[_PHONE]),
        has_email=bool(first[_EMAIL]),
        response_id=first[_RESPONSE_ID],
        session_generation=first[_SESSION_GENERATION],
        token_revoked=first[_TOKEN_REVOKED_AT] is not None,
        token_closed_at=min(
            time for time in (first[_TOKEN_EXPIRES_AT], first[_TOKEN_REVOKED_AT]) if time
        ),
        saved_link_ids=frozenset(values),
        saved_values=values,
    )


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # What the models' UTCDateTime gives: timestamptz comes back aware, in the session's zone.
    return None if value is None else value.astimezone(dt.UTC)


def _converted(row: Sequence[Any]) -> list[Any]:
    """A driver's row with the values SQLAlchemy's column types would have converted."""
    first = list(row)
    first[_TOKEN_EXPIRES_AT] = _utc(first[_TOKEN_EXPIRES_AT])
    first[_TOKEN_REVOKED_AT] = _utc(first[_TOKEN_REVOKED_AT])
    first[_INVITATION_EXPIRES_AT] = _utc(first[_INVITATION_EXPIRES_AT])
    first[_INVITATION_STATE] = InvitationState(first[_INVITATION_STATE])
    first[_LANGUAGE] = Language(first[_LANGUAGE])
    first[_EPISODE_STATUS] = EpisodeStatus(first[_EPISODE_STATUS])
    first[_CONSENT_STATE] = ConsentState(first[_CONSENT_STATE])
    first[_PREFERRED_CHANNEL] = Channel(first[_PREFERRED_CHANNEL])
    return first


def _read(
    db: Database, statement: Select[Any], key: str, value: Any, now: dt.datetime
) -> LinkContext:
    """One statement's rows, as a LinkContext. On PostgreSQL through the process's direct
    reader (`db/direct_read.py`), elsewhere through SQLAlchemy outside a transaction."""
    reader = db.direct_reader()
    if reader is None:
        with db.reading() as connection:
            rows: Sequence[Any] = connection.execute(statement, {key: value}).all()
        return _from_rows(rows[0], rows, now) if rows else LinkContext(status=LinkStatus.UNKNOWN)
    rows = reader.fetch_all(statement, {key: value})
    return (
        _from_rows(_converted(rows[0]), rows, now)
        if rows
        else LinkContext(status=LinkStatus.UNKNOWN)
    )


def inspect_link(db: Database, token: str, now: dt.datetime) -> LinkContext:
    """What a link leads to. Read-only: safe for GET and for link scanners.

    A token that was never issued (or is empty or too long to be one) gives ``UNKNOWN``.
    """
    if not token or len(token) > TOKEN_MAX:
        return LinkContext(status=LinkStatus.UNKNOWN)
    return _read(db, BY_TOKEN_HASH, "token_hash", hash_token(token), now)


def load_context(db: Database, token_id: int, now: dt.datetime) -> LinkContext:
    """The context for a link the browser already opened (its token row id is in the session)."""
    return _read(db, BY_TOKEN_ID, "token_id", token_id, now)


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
