"""The patient's own words for their therapist: comments on a response and consent reasons.

(The thank-you page also shows the patient the topic they wrote for the next session,
:func:`own_topic`; the pre-session view reads topics in its own list.)

A patient may comment when sending the answers (the last page) and again on the thank-you
page, as often as they like; every comment is its own ``ResponseComment`` row and none is
ever overwritten. The therapist reads them, with the reasons given for declining, stopping or
asking for fewer questionnaires, in "The patient's own words" on the pre-session view
(:func:`patient_words`, read inside that view's transaction and covered by its access-log row).
Comments sent "to the service only" are not here: they are ``ServiceFeedback`` rows with no
link to the patient (``services.service_comments``).

Logs carry ids only, never the text.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    ConsentEvent,
    Episode,
    Invitation,
    Response,
    ResponseComment,
    SessionTopic,
)
from fit_platform.domain.codes import CommentSource, ConsentEventKind, ResponseStatus
from fit_platform.domain.free_text import clean_free_text

log = logging.getLogger(__name__)

# Longest comment kept from a patient: a real paragraph, short enough to read before a session.
COMMENT_MAX = 1000
# Consent changes whose reason is the patient's own words for the therapist.
REASON_KINDS = (
    ConsentEventKind.DECLINED_INVITATION,
    ConsentEventKind.STOPPED,
    ConsentEventKind.FREQUENCY_REDUCED,
)


def add_comment(
    session: Session, response: Response, source: CommentSource, text: str, now: dt.datetime
) -> ResponseComment | None:
    """Store a comment on ``response`` in the caller's transaction (None when it is blank)."""
    cleaned = clean_free_text(text or "")[:COMMENT_MAX]
    if not cleaned:
        return None
    row = ResponseComment(
        response_id=response.id,
        episode_id=response.episode_id,
        source=source,
        text=cleaned,
        created_at=now,
    )
    session.add(row)
    session.flush()
    log.info(
        "response comment saved",
        extra={"response_id": response.id, "comment_id": row.id, "source": source.value},
    )
    return row


def comment_on_result(
    db: Database, response_id: int, patient_id: int, text: str, now: dt.datetime
) -> bool:
    """Add the patient's comment on a submitted result (one more row; earlier ones are kept).

    False when the response is not submitted or not this patient's. Called from the
    thank-you page. The same text as the latest comment on this response is not stored again:
    a double click or a reloaded POST must not make the therapist read it twice.
    """
    cleaned = clean_free_text(text or "")[:COMMENT_MAX]
    with db.transaction(now=now) as session:
        # Locked, so two tabs posting at once add their comments one after the other.
        response = session.get(Response, response_id, with_for_update=True)
        if response is None or response.status is not ResponseStatus.SUBMITTED:
            return False
        episode = session.get_one(Episode, response.episode_id)
        if episode.patient_id != patient_id:
            return False
        latest = session.scalar(
            select(ResponseComment.text)
            .where(ResponseComment.response_id == response.id)
            .order_by(ResponseComment.created_at.desc(), ResponseComment.id.desc())
            .limit(1)
        )
        if latest != cleaned:
            add_comment(session, response, CommentSource.RESULT, cleaned, now)
    return True


@dataclass(frozen=True)
class OwnComment:
    text: str
    at: dt.datetime
    source: CommentSource


def own_comments(db: Database, response_id: int, patient_id: int) -> list[OwnComment]:
    """The patient's comments on one response, oldest first (for the thank-you page)."""
    with db.session() as session:
        rows = session.execute(
            select(ResponseComment.text, ResponseComment.created_at, ResponseComment.source)
            .join(Episode, Episode.id == ResponseComment.episode_id)
            .where(ResponseComment.response_id == response_id, Episode.patient_id == patient_id)
            .order_by(ResponseComment.created_at, ResponseComment.id)
        )
        return [OwnComment(text, at, source) for text, at, source in rows]


@dataclass(frozen=True)
class OwnTopic:
    text: str
    at: dt.datetime


def own_topic(db: Database, invitation_id: int, patient_id: int) -> OwnTopic | None:
    """What the patient wrote to talk about in the next session when sending this invitation's
    answers, as stored (cleaned and cut), so the thank-you page shows exactly what the
    therapist reads under "To talk about first" on the pre-session view."""
    with db.session() as session:
        row = session.execute(
            select(SessionTopic.text, SessionTopic.created_at)
            .join(Episode, Episode.id == SessionTopic.episode_id)
            .where(SessionTopic.invitation_id == invitation_id, Episode.patient_id == patient_id)
            .order_by(SessionTopic.created_at.desc(), SessionTopic.id.desc())
            .limit(1)
        ).first()
    return OwnTopic(row.text, row.created_at) if row is not None else None


@dataclass(frozen=True)
class PatientWords:
    """One thing the patient wrote for the therapist, as the pre-session view lists it.

    Either a comment (``source`` set, ``instrument_id`` the questionnaire it belongs to) or
    the reason for a consent change (``consent_kind`` set; ``instrument_id`` is the declined
    questionnaire for a decline).
    """

    at: dt.datetime
    text: str
    instrument_id: str | None
    source: CommentSource | None = None
    consent_kind: ConsentEventKind | None = None


# The two reads of the patient's words, built once. The pre-session view runs them on every
# load, in its one statement for the episode's short lists (`presession_queries.EPISODE_LISTS`):
# columns (when, text, questionnaire, source or consent kind), each newest first even within
# one second (`patient_words` keeps this order on ties).
EPISODE_COMMENTS = (
    select(
        ResponseComment.created_at,
        ResponseComment.text,
        Response.instrument_id,
        ResponseComment.source,
    )
    .join(Response, Response.id == ResponseComment.response_id)
    .where(ResponseComment.episode_id == bindparam("episode_id"))
)
COMMENTS_NEWEST_FIRST = (ResponseComment.created_at.desc(), ResponseComment.id.desc())
CONSENT_REASONS = (
    select(
        ConsentEvent.created_at,
        ConsentEvent.reason,
        ConsentEvent.kind,
        Invitation.instrument_id,
    )
    .outerjoin(Invitation, Invitation.id == ConsentEvent.invitation_id)
    .where(
        ConsentEvent.patient_id == bindparam("patient_id"),
        ConsentEvent.kind.in_(REASON_KINDS),
        ConsentEvent.reason.is_not(None),
        ConsentEvent.reason != "",
    )
)
REASONS_NEWEST_FIRST = (ConsentEvent.created_at.desc(), ConsentEvent.id.desc())


def patient_words(
    comments: Iterable[tuple[dt.datetime, str, str | None, CommentSource]],
    reasons: Iterable[tuple[dt.datetime, str | None, ConsentEventKind, str | None]],
) -> tuple[PatientWords, ...]:
    """Comments on the episode's responses and the patient's consent reasons, newest first,
    from the rows of `EPISODE_COMMENTS` and `CONSENT_REASONS` (each newest first). Consent is
    the patient's (not one episode's), as the consent history on the same view."""
    words = [
        PatientWords(at, text, instrument_id, source=source)
        for at, text, instrument_id, source in comments
    ]
    words += [
        PatientWords(
            at,
            reason or "",  # never empty: the statement leaves out rows without a reason
            instrument_id if kind is ConsentEventKind.DECLINED_INVITATION else None,
            consent_kind=kind,
        )
        for at, reason, kind, instrument_id in reasons
    ]
    return tuple(sorted(words, key=lambda words: words.at, reverse=True))
