"""The patient's answering journey: open a link, save pages, submit, comment.

A link token resolves to one invitation (see ``services.links``). Reading a link changes
nothing (``inspect_link``); starting (``start_answering``, a POST) marks the invitation opened
and creates its one response. Each page of answers is saved in its own transaction, with any
risk signal it raises, so a half-answered questionnaire resumes from the same link and a risk
answer reaches the therapist even if the patient never submits. ``submit`` scores, raises the
score-based signals and closes the invitation; calling it twice returns the first result.

Logs carry ids only: never tokens, answers or free text.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Invitation,
    InvitationToken,
    ItemAnswer,
    OutboxMessage,
    Patient,
    Response,
    ServiceFeedback,
    SessionTopic,
    Unit,
)
from fit_platform.domain.codes import (
    Channel,
    CommentSource,
    ConsentState,
    InvitationState,
    Language,
    OutboxState,
    ResponseStatus,
)
from fit_platform.domain.free_text import clean_free_text
from fit_platform.domain.instruments import Instrument, get_instrument
from fit_platform.domain.scoring import ScoreResult, answers_from_codes, score
from fit_platform.services import comments, form_once
from fit_platform.services import signals as signal_service
from fit_platform.services.form_once import FormKey
from fit_platform.services.links import resolve_token
from fit_platform.services.scored_responses import apply_score

log = logging.getLogger(__name__)

OSLO = ZoneInfo("Europe/Oslo")

# Longest free text kept from a patient. Long enough for a real paragraph, short enough
# that a therapist reads it before the session.
COMMENT_MAX = comments.COMMENT_MAX
TOPIC_MAX = 1000
ITEMS_PER_PAGE = 5
# Rough reading and answering time per item, for "takes about N minutes" on the landing page.
SECONDS_PER_ITEM = 12

# Attempts before a unique-key race is treated as an error (each retry sees the winner's rows).
RACE_RETRIES = 4
OPEN_STATES = (InvitationState.SCHEDULED, InvitationState.SENT, InvitationState.OPENED)


class LinkStatus(StrEnum):
    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DECLINED = "declined"


class LinkClosedError(Exception):
    """The invitation can no longer be answered; ``status`` says why."""

    def __init__(self, status: LinkStatus) -> None:
        self.status = status
        super().__init__(status.value)


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

    @property
    def instrument(self) -> Instrument:
        assert self.instrument_id is not None
        return get_instrument(self.instrument_id)

    @property
    def started(self) -> bool:
        return bool(self.saved_link_ids)

    def next_page(self) -> int:
        """The first page (1-based) not saved yet; one past the last when all are saved."""
        for number, link_ids in enumerate(page_plan(self.instrument), start=1):
            if not set(link_ids) <= self.saved_link_ids:
                return number
        return len(page_plan(self.instrument)) + 1


def page_plan(instrument: Instrument, per_page: int = ITEMS_PER_PAGE) -> list[tuple[str, ...]]:
    """Items split into pages of at most ``per_page``, as evenly as possible (10 → 5 + 5)."""
    ids = [item.link_id for item in instrument.items]
    pages = max(1, math.ceil(len(ids) / per_page))
    size = math.ceil(len(ids) / pages)
    return [tuple(ids[i : i + size]) for i in range(0, len(ids), size)]


def minutes_to_answer(instrument: Instrument) -> int:
    return max(1, math.ceil(len(instrument.items) * SECONDS_PER_ITEM / 60))


# --------------------------------------------------------------------------- reading links


def invitation_status(invitation: Invitation, now: dt.datetime) -> LinkStatus:
    state = invitation.state
    if state is InvitationState.COMPLETED:
        return LinkStatus.COMPLETED
    if state is InvitationState.DECLINED:
        return LinkStatus.DECLINED
    if state is InvitationState.CANCELLED:
        return LinkStatus.CANCELLED
    if state is InvitationState.EXPIRED or now >= invitation.expires_at:
        return LinkStatus.EXPIRED
    return LinkStatus.OPEN


def _status(invitation: Invitation, token: InvitationToken, now: dt.datetime) -> LinkStatus:
    status = invitation_status(invitation, now)
    if status is LinkStatus.OPEN and token.revoked_at is not None:
        return LinkStatus.CANCELLED
    if status is LinkStatus.OPEN and now >= token.expires_at:
        return LinkStatus.EXPIRED
    return status


def _context(session: Session, token: InvitationToken, now: dt.datetime) -> LinkContext:
    invitation = token.invitation
    episode = session.get_one(Episode, invitation.episode_id)
    patient = session.get_one(Patient, episode.patient_id)
    unit = session.get_one(Unit, episode.unit_id)
    response = session.scalar(select(Response).where(Response.invitation_id == invitation.id))
    saved: frozenset[str] = frozenset()
    if response is not None:
        saved = frozenset(
            session.scalars(
                select(ItemAnswer.link_id).where(ItemAnswer.response_id == response.id)
            ).all()
        )
    return LinkContext(
        status=_status(invitation, token, now),
        invitation_id=invitation.id,
        token_id=token.id,
        patient_id=patient.id,
        episode_id=episode.id,
        unit_id=unit.id,
        programme_id=episode.programme_id,
        instrument_id=invitation.instrument_id,
        unit_name=unit.name,
        unit_phone=unit.phone,
        opening_hours=unit.opening_hours,
        expires_at=invitation.expires_at,
        language=patient.preferred_language,
        consent_state=patient.consent_state,
        paused_until=patient.paused_until,
        preferred_channel=patient.preferred_channel,
        has_phone=bool(patient.phone_e164),
        has_email=bool(patient.email),
        response_id=response.id if response is not None else None,
        saved_link_ids=saved,
    )


def inspect_link(db: Database, token: str, now: dt.datetime) -> LinkContext:
    """What a link leads to. Read-only: safe for GET and for link scanners."""
    with db.session() as session:
        resolved = resolve_token(session, token)
        if resolved is None:
            return LinkContext(status=LinkStatus.UNKNOWN)
        return _context(session, resolved.token_row, now)


def load_context(db: Database, token_id: int, now: dt.datetime) -> LinkContext:
    """The context for a link the browser already opened (its token row id is in the session)."""
    with db.session() as session:
        token = session.get(InvitationToken, token_id)
        if token is None:
            return LinkContext(status=LinkStatus.UNKNOWN)
        return _context(session, token, now)


# --------------------------------------------------------------------------- writing answers

T = TypeVar("T")


def _with_retry(db: Database, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction; on a unique-key race (two tabs, double click) run it again.

    The second run finds the row the other request inserted and updates it instead.
    """
    for _attempt in range(RACE_RETRIES):
        try:
            with db.transaction() as session:
                return work(session)
        except IntegrityError:
            continue
    with db.transaction() as session:
        return work(session)


def _open_invitation(session: Session, invitation_id: int, now: dt.datetime) -> Invitation:
    invitation = session.get_one(Invitation, invitation_id, with_for_update=True)
    status = invitation_status(invitation, now)
    if status is not LinkStatus.OPEN:
        raise LinkClosedError(status)
    return invitation


def _response_for(
    session: Session, invitation: Invitation, language: Language, now: dt.datetime
) -> Response:
    response = session.scalar(select(Response).where(Response.invitation_id == invitation.id))
    if response is None:
        instrument = get_instrument(invitation.instrument_id)
        response = Response(
            invitation_id=invitation.id,
            episode_id=invitation.episode_id,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            language=language,
            status=ResponseStatus.IN_PROGRESS,
            started_at=now,
        )
        session.add(response)
        session.flush()  # the unique invitation_id makes a racing second insert fail here
    return response


def start_answering(db: Database, invitation_id: int, language: Language, now: dt.datetime) -> int:
    """Mark the invitation opened and make sure its one response exists; return the response id.

    Called on the POST from the landing page (never on GET). Safe to call again: the second
    call finds the same response.
    """

    def work(session: Session) -> int:
        invitation = _open_invitation(session, invitation_id, now)
        if invitation.state is not InvitationState.OPENED:
            invitation.state = InvitationState.OPENED
        if invitation.opened_at is None:
            invitation.opened_at = now
        return _response_for(session, invitation, language, now).id

    response_id = _with_retry(db, work)
    log.info(
        "invitation opened", extra={"invitation_id": invitation_id, "response_id": response_id}
    )
    return response_id


@dataclass(frozen=True)
class PageSaved:
    response_id: int
    risk: bool
    next_page: int
    page_count: int


def save_page(
    db: Database,
    invitation_id: int,
    page: int,
    codes: Mapping[str, str | None],
    language: Language,
    now: dt.datetime,
) -> PageSaved:
    """Save one page of answers (codes as posted; None or "" = left blank).

    Every item of the page gets a row (blank ones with no value), so the page counts as
    answered and resuming skips it. Raises ``InvalidAnswerError`` for an unknown item or a
    forged value, ``LinkClosedError`` when the invitation cannot be answered any more, and
    ``ValueError`` for a page number that does not exist.
    """

    def work(session: Session) -> PageSaved:
        invitation = _open_invitation(session, invitation_id, now)
        instrument = get_instrument(invitation.instrument_id)
        plan = page_plan(instrument)
        if not 1 <= page <= len(plan):
            raise ValueError("no such page")
        link_ids = plan[page - 1]
        values = answers_from_codes(instrument, {k: codes.get(k) for k in link_ids})
        response = _response_for(session, invitation, language, now)
        if response.status is ResponseStatus.SUBMITTED:
            raise LinkClosedError(LinkStatus.COMPLETED)
        existing = {
            a.link_id: a
            for a in session.scalars(
                select(ItemAnswer).where(ItemAnswer.response_id == response.id)
            )
        }
        changed: dict[str, tuple[float | None, float | None]] = {}
        for link_id, value in values.items():
            row = existing.get(link_id)
            if row is None:
                row = ItemAnswer(response_id=response.id, link_id=link_id, value=value)
                row.answered_at = now
                session.add(row)
                existing[link_id] = row
            elif row.value != value:
                changed[link_id] = (row.value, value)
                row.value = value
                row.answered_at = now
        session.flush()
        if changed:
            signal_service.note_risk_answer_changes(
                session,
                instrument,
                episode_id=invitation.episode_id,
                response_id=response.id,
                changes=changed,
                now=now,
            )
        all_answers = {k: v.value for k, v in existing.items()}
        risk = signal_service.raise_risk_signal(
            session,
            instrument,
            episode_id=invitation.episode_id,
            response_id=response.id,
            answers=values,
            now=now,
        )
        if risk:
            response.risk = True
        saved = set(all_answers)
        next_page = next(
            (n for n, ids in enumerate(plan, start=1) if not set(ids) <= saved), len(plan) + 1
        )
        return PageSaved(response.id, risk, next_page, len(plan))

    result = _with_retry(db, work)
    log.info(
        "answers saved",
        extra={"invitation_id": invitation_id, "response_id": result.response_id, "page": page},
    )
    return result


@dataclass(frozen=True)
class Submitted:
    response_id: int
    result: ScoreResult
    already_submitted: bool


def submit(
    db: Database,
    invitation_id: int,
    *,
    language: Language,
    now: dt.datetime,
    comment: str | None = None,
    comment_to_service_only: bool = False,
    topic: str | None = None,
    zone: ZoneInfo = OSLO,
) -> Submitted:
    """Score the response, store it with the signals, close the invitation.

    A second call (double click, second tab) changes nothing and returns the first result.
    Raises ``LinkClosedError`` for an expired, cancelled or declined invitation and
    ``ValueError`` when pages are missing (the view sends the patient back to them).
    A comment the patient sends "only to the service" becomes a ``ServiceFeedback`` row with
    no link to the patient or the response, dated by month only.
    """

    def work(session: Session) -> Submitted:
        # One submission per invitation, claimed as the first write: of six concurrent POSTs
        # (double click, two tabs) one goes on, the others wait and then find it submitted, so
        # the topic and the comment are stored once (PostgreSQL also locks the invitation row
        # below; SQLite only serialises writes). See services.form_once.
        once = FormKey("finish", f"invitation:{invitation_id}", "submit")
        if form_once.earlier(session, once) is None:
            form_once.claim(session, once, now)
        invitation = session.get_one(Invitation, invitation_id, with_for_update=True)
        instrument = get_instrument(invitation.instrument_id)
        response = session.scalar(select(Response).where(Response.invitation_id == invitation.id))
        if response is not None and response.status is ResponseStatus.SUBMITTED:
            return Submitted(response.id, _result_of(instrument, response), True)
        _open_invitation(session, invitation_id, now)
        if response is None:
            raise ValueError("nothing answered yet")
        answers = {
            a.link_id: a.value
            for a in session.scalars(
                select(ItemAnswer).where(ItemAnswer.response_id == response.id)
            )
        }
        if set(item.link_id for item in instrument.items) - set(answers):
            raise ValueError("pages missing")
        result = apply_score(response, instrument, answers)
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = now
        response.language = language
        text = clean_free_text(comment or "")[:COMMENT_MAX]
        if text and comment_to_service_only:
            episode = session.get_one(Episode, invitation.episode_id)
            session.add(
                ServiceFeedback(
                    unit_id=episode.unit_id,
                    programme_id=episode.programme_id,
                    instrument_id=instrument.id,
                    text=text,
                    period=now.astimezone(zone).strftime("%Y-%m"),
                )
            )
        elif text:
            comments.add_comment(session, response, CommentSource.FINISH, text, now)
        topic_text = clean_free_text(topic or "")[:TOPIC_MAX]
        if topic_text:
            session.add(
                SessionTopic(
                    episode_id=invitation.episode_id,
                    invitation_id=invitation.id,
                    text=topic_text,
                    created_at=now,
                )
            )
        invitation.state = InvitationState.COMPLETED
        invitation.completed_at = now
        invitation.closed_at = now
        # An answered invitation needs no reminder.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.invitation_id == invitation.id,
                OutboxMessage.state == OutboxState.QUEUED,
            )
            .values(state=OutboxState.CANCELLED)
        )
        session.flush()
        signal_service.raise_signals_for_response(session, instrument, response, result, now)
        return Submitted(response.id, result, False)

    submitted = _with_retry(db, work)
    if not submitted.already_submitted:
        log.info(
            "response submitted",
            extra={"invitation_id": invitation_id, "response_id": submitted.response_id},
        )
    return submitted


def _result_of(instrument: Instrument, response: Response) -> ScoreResult:
    answers = {a.link_id: a.value for a in response.answers}
    return score(instrument, answers, validate=False)


def saved_codes(db: Database, response_id: int) -> dict[str, str | None]:
    """The saved answers as the form's codes, to fill in a page the patient comes back to."""
    with db.session() as session:
        response = session.get_one(Response, response_id)
        instrument = get_instrument(response.instrument_id)
        out: dict[str, str | None] = {}
        for answer in response.answers:
            try:
                item = instrument.item(answer.link_id)
            except KeyError:
                continue
            if answer.value is None:
                out[answer.link_id] = None
            elif item.vas is not None:
                out[answer.link_id] = f"{answer.value:g}"
            else:
                match = next((o for o in item.options if o.value == answer.value), None)
                out[answer.link_id] = match.code if match else None
        return out


def response_has_risk(db: Database, response_id: int) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(Response.risk).where(Response.id == response_id)))
