"""The patient's answering journey: open a link, save pages, submit, comment.

A link token resolves to one invitation (see ``services.links``). Reading a link changes
nothing (``inspect_link``); starting (``start_answering``, a POST) marks the invitation opened
and creates its one response. Each page of answers is saved in its own transaction, with any
risk signal it raises, so a half-answered questionnaire resumes from the same link and a risk
answer reaches the therapist even if the patient never submits. ``submit`` scores, raises the
score-based signals and closes the invitation; calling it twice returns the first result.

Saving a page is ``services/page_save.py``; the locked invitation and the retry on a race
are ``services/answer_transaction.py``. Both are named here too.

Logs carry ids only: never tokens, answers or free text.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Invitation,
    ItemAnswer,
    OutboxMessage,
    Response,
    ServiceFeedback,
    SessionTopic,
)
from fit_platform.domain.codes import (
    CommentSource,
    InvitationState,
    Language,
    OutboxState,
    ResponseStatus,
)
from fit_platform.domain.free_text import clean_free_text
from fit_platform.domain.instruments import Instrument, get_instrument
from fit_platform.domain.scoring import ScoreResult, score
from fit_platform.services import comments, form_once
from fit_platform.services import signals as signal_service
from fit_platform.services.answer_transaction import (  # part of this module's API (__all__)
    LinkClosedError,
    invitation_status,
    open_invitation,
    response_for,
    with_retry,
)
from fit_platform.services.finish_draft import drop_draft
from fit_platform.services.form_once import FormKey
from fit_platform.services.link_context import (  # part of this module's API (__all__)
    ITEMS_PER_PAGE,
    LinkContext,
    LinkStatus,
    inspect_link,
    invitation_link_status,
    load_context,
    page_plan,
    saved_codes,
)
from fit_platform.services.page_save import keep_late_risk_answer, save_page
from fit_platform.services.page_writes import PageSaved
from fit_platform.services.scored_responses import apply_score

__all__ = [
    "COMMENT_MAX",
    "ITEMS_PER_PAGE",
    "SECONDS_PER_ITEM",
    "TOPIC_MAX",
    "LinkClosedError",
    "LinkContext",
    "LinkStatus",
    "PageSaved",
    "Submitted",
    "inspect_link",
    "invitation_link_status",
    "invitation_status",
    "keep_late_risk_answer",
    "load_context",
    "minutes_to_answer",
    "open_invitation",
    "page_plan",
    "response_for",
    "response_has_risk",
    "save_page",
    "saved_codes",
    "start_answering",
    "submit",
    "with_retry",
]

log = logging.getLogger(__name__)


# Longest free text kept from a patient. Long enough for a real paragraph, short enough
# that a therapist reads it before the session.
COMMENT_MAX = comments.COMMENT_MAX
TOPIC_MAX = 1000
# Rough reading and answering time per item, for "takes about N minutes" on the landing page.
SECONDS_PER_ITEM = 12


def minutes_to_answer(instrument: Instrument) -> int:
    return max(1, math.ceil(len(instrument.items) * SECONDS_PER_ITEM / 60))


def start_answering(db: Database, invitation_id: int, language: Language, now: dt.datetime) -> int:
    """Mark the invitation opened and make sure its one response exists; return the response id.

    Called on the POST from the landing page (never on GET). Safe to call again: the second
    call finds the same response.
    """

    def work(session: Session) -> int:
        invitation = open_invitation(session, invitation_id, now)
        if invitation.state is not InvitationState.OPENED:
            invitation.state = InvitationState.OPENED
        if invitation.opened_at is None:
            invitation.opened_at = now
        return response_for(session, invitation, language, now).id

    response_id = with_retry(db, now, work)
    log.info(
        "invitation opened", extra={"invitation_id": invitation_id, "response_id": response_id}
    )
    return response_id


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
    zone: ZoneInfo,
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
        open_invitation(session, invitation_id, now)
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
        # Sent with what the page held: what was typed before a "Change" is no longer needed.
        drop_draft(session, response.id)
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

    submitted = with_retry(db, now, work)
    if not submitted.already_submitted:
        log.info(
            "response submitted",
            extra={"invitation_id": invitation_id, "response_id": submitted.response_id},
        )
    return submitted


def _result_of(instrument: Instrument, response: Response) -> ScoreResult:
    answers = {a.link_id: a.value for a in response.answers}
    return score(instrument, answers, validate=False)


def response_has_risk(db: Database, response_id: int) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(Response.risk).where(Response.id == response_id)))
