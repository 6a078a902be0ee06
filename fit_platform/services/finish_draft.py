"""What the patient typed on the check-your-answers page, kept while they change an answer.

The page has two boxes (a topic for the next session, a comment for the therapist or the
service) next to a list of the answers, each with "Change". "Change" was a link: what was
typed in the boxes was gone when the patient came back, although the questionnaire pages
promise that nothing is lost on the way. It is now a button of the page's form, and the text
waits here until the patient is back on the page.

A draft is the patient's alone: no staff page, export or count reads it. It is deleted when
the questionnaire is sent (in `answering.submit`'s transaction), with its response (an
erasure), and by the hourly clean-up once its questionnaire has closed without being sent
(`delete_closed_drafts`, run by `retention.apply_retention`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, FinishDraft, Invitation, Response
from fit_platform.domain.codes import ResponseStatus
from fit_platform.domain.free_text import clean_free_text
from fit_platform.services.invitation_common import OPEN_STATES, rowcount

# What is kept of each box: a few times what the page accepts, so nothing typed is cut in
# practice, and a draft stays small whatever is posted. Sending still checks the real limits.
KEPT_CHARACTERS = 4000


@dataclass(frozen=True)
class Draft:
    topic: str | None
    comment: str | None
    comment_to: str | None


def keep_draft(db: Database, invitation_id: int, draft: Draft, now: dt.datetime) -> None:
    """Keep what was typed for the invitation's response (replacing an earlier draft); an
    empty page leaves no draft. Nothing happens when the response is no longer in progress."""
    topic = _kept(draft.topic)
    comment = _kept(draft.comment)
    with db.transaction(now=now) as session:
        response_id = session.scalar(
            select(Response.id).where(
                Response.invitation_id == invitation_id,
                Response.status == ResponseStatus.IN_PROGRESS,
            )
        )
        if response_id is None:
            return
        session.execute(delete(FinishDraft).where(FinishDraft.response_id == response_id))
        if topic or comment:
            session.add(
                FinishDraft(
                    response_id=response_id,
                    topic=topic,
                    comment=comment,
                    comment_to=draft.comment_to if draft.comment_to in _RECIPIENTS else None,
                    saved_at=now,
                )
            )


def draft_for(db: Database, invitation_id: int) -> Draft | None:
    """The draft of the invitation's response, if the patient left one."""
    with db.session() as session:
        row = session.execute(
            select(FinishDraft.topic, FinishDraft.comment, FinishDraft.comment_to)
            .join(Response, Response.id == FinishDraft.response_id)
            .where(Response.invitation_id == invitation_id)
        ).first()
    return None if row is None else Draft(row.topic, row.comment, row.comment_to)


def drop_draft(session: Session, response_id: int) -> None:
    """Within the caller's transaction: the questionnaire was sent with what the page held."""
    session.execute(delete(FinishDraft).where(FinishDraft.response_id == response_id))


def drafts_for_export(session: Session, patient_id: int) -> list[dict[str, str | None]]:
    """The patient's unsent drafts for her own data export (right of access): the platform
    holds them, however briefly."""
    rows = session.execute(
        select(Response.instrument_id, FinishDraft.topic, FinishDraft.comment, FinishDraft.saved_at)
        .join(Response, Response.id == FinishDraft.response_id)
        .join(Episode, Episode.id == Response.episode_id)
        .where(Episode.patient_id == patient_id)
        .order_by(FinishDraft.saved_at)
    ).all()
    return [
        {
            "instrument": row.instrument_id,
            "topic": row.topic,
            "comment": row.comment,
            "saved_at": row.saved_at.isoformat(),
        }
        for row in rows
    ]


def delete_closed_drafts(session: Session) -> int:
    """Drafts whose questionnaire has closed (sent, expired, withdrawn, declined): nobody will
    come back to them. Returns how many went."""
    still_open = (
        select(Response.id)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .where(
            Response.status == ResponseStatus.IN_PROGRESS,
            Invitation.state.in_(OPEN_STATES),
        )
    )
    return rowcount(
        session.execute(delete(FinishDraft).where(FinishDraft.response_id.not_in(still_open)))
    )


_RECIPIENTS = frozenset({"therapist", "service"})


def _kept(text: str | None) -> str | None:
    cleaned = clean_free_text(text or "")[:KEPT_CHARACTERS]
    return cleaned if cleaned.strip() else None
