"""The page save of a link this browser opened, in one statement and no link read first
(PostgreSQL).

Every other patient page starts by reading its link's whole context (`services/link_context.py`),
and the page save used to as well: the read, then the guarded write decided from it
(`services/page_save_guarded.py`), two round trips. The save needs little of that context: the
questionnaire (to check the posted answers and find the next page), which the browser's session
now keeps from the moment the link was opened, and the certainty that the link still lets this
browser answer. That certainty is the statement's guard: it locks the invitation and writes only
when everything the link read would have checked still holds, so a save that reaches the
database here behaves as if the read had been made:

- the token is the one the session names, not revoked and not expired;
- the patient's session generation is the session's (nobody logged this browser out, nobody
  restarted the feedback), and, where the page's language came from the patient's record, the
  record still names that language;
- the invitation is of the questionnaire the session names, in a state that may be answered
  (scheduled, sent or opened: a positive list, so a state added later falls back) and not past
  its deadline;
- its response exists and is in progress.

When any of it fails, nothing is written and the caller takes the ordinary path: the link read,
which finds out what changed and tells the patient (a closed page, the late page, the logged-out
page), and the save decided from it. The lock and its guarantees are the guarded write's (its
docstring): ``FOR UPDATE OF invitation``, so a save and a submit of the same questionnaire
follow each other.

Answers are written by link id as an upsert: a new answer is inserted, a saved one updated only
where the posted value differs (the last save wins, another tab's save included). Only pages
without a risk question come here: a risk answer needs the signal functions of the ORM path.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text

from fit_platform.db.direct_read import DirectReader
from fit_platform.domain.codes import InvitationState, Language, ResponseStatus
from fit_platform.domain.instruments import Instrument
from fit_platform.domain.scoring import answers_from_codes
from fit_platform.services.link_context import first_unsaved_page, has_risk_question, page_plan
from fit_platform.services.page_writes import PageSaved

log = logging.getLogger(__name__)

# The states a link may be answered in (`link_context.invitation_link_status`): listed, so that
# a state added later is refused here and decided by the ordinary path.
_ANSWERABLE = tuple(
    state.value
    for state in (InvitationState.SCHEDULED, InvitationState.SENT, InvitationState.OPENED)
)

SAVE = text(
    "WITH link AS ("
    " SELECT invitation.id AS invitation_id, response.id AS response_id"
    " FROM invitation_token"
    " JOIN invitation ON invitation.id = invitation_token.invitation_id"
    " JOIN episode ON episode.id = invitation.episode_id"
    " JOIN patient ON patient.id = episode.patient_id"
    " JOIN response ON response.invitation_id = invitation.id"
    " WHERE invitation_token.id = :token_id"
    " AND invitation_token.revoked_at IS NULL AND invitation_token.expires_at > :now"
    " AND patient.session_generation = :generation"
    " AND (CAST(:record_language AS varchar) IS NULL"
    " OR patient.preferred_language = :record_language)"
    " AND invitation.instrument_id = :instrument_id"
    " AND invitation.state IN (:scheduled, :sent, :opened) AND invitation.expires_at > :now"
    " AND response.status = :in_progress"
    " FOR UPDATE OF invitation),"
    " written AS ("
    " INSERT INTO item_answer (response_id, link_id, value, answered_at, language)"
    " SELECT link.response_id, page.link_id, page.value, :now, :language"
    " FROM unnest(CAST(:link_ids AS varchar[]), CAST(:new_values AS double precision[]))"
    " AS page(link_id, value), link"
    " ON CONFLICT (response_id, link_id) DO UPDATE"
    " SET value = excluded.value, answered_at = excluded.answered_at,"
    " language = excluded.language"
    " WHERE item_answer.value IS DISTINCT FROM excluded.value"
    " RETURNING item_answer.id)"
    # The answers saved before this statement (its snapshot), for the next page; and the
    # written CTE named, so that it is plainly part of the statement.
    " SELECT link.invitation_id, link.response_id,"
    " ARRAY(SELECT item_answer.link_id FROM item_answer"
    " WHERE item_answer.response_id = link.response_id),"
    " (SELECT count(*) FROM written)"
    " FROM link"
)


@dataclass(frozen=True)
class BoundLink:
    """What the browser's session says of the link it opened."""

    token_id: int
    generation: int
    instrument_id: str
    # The patient's language as the session knows it from their record, when the page's
    # language came from there; None when the patient chose one in this browser.
    record_language: Language | None


def save_parameters(
    link: BoundLink, values: Mapping[str, float | None], answered_in: Language, now: dt.datetime
) -> dict[str, object]:
    """The parameters of `SAVE` for a page's answer values (by link id)."""
    return {
        "token_id": link.token_id,
        "generation": link.generation,
        "record_language": None if link.record_language is None else link.record_language.value,
        "instrument_id": link.instrument_id,
        "scheduled": _ANSWERABLE[0],
        "sent": _ANSWERABLE[1],
        "opened": _ANSWERABLE[2],
        "in_progress": ResponseStatus.IN_PROGRESS.value,
        "now": now,
        "language": answered_in.value,
        "link_ids": list(values),
        "new_values": list(values.values()),
    }


def save_on_bound_link(
    reader: DirectReader,
    link: BoundLink,
    instrument: Instrument,
    page: int,
    codes: Mapping[str, str | None],
    answered_in: Language,
    now: dt.datetime,
) -> PageSaved | None:
    """Save a page answered in full (every question of it in ``codes``), or return None with
    nothing written when the guard finds that the link may not be answered this way now: the
    caller then reads the link and saves as every other page does. Raises
    ``InvalidAnswerError`` for a forged answer and ``ValueError`` for a page that does not
    exist or holds a risk question, before anything is sent."""
    plan = page_plan(instrument)
    if not 1 <= page <= len(plan):
        raise ValueError("no such page")
    link_ids = plan[page - 1]
    if has_risk_question(instrument, link_ids):
        raise ValueError("a page with a risk question is saved with its signal")
    values = answers_from_codes(instrument, {k: codes.get(k) for k in link_ids})
    rows = reader.fetch_all(SAVE, save_parameters(link, values, answered_in, now))
    if not rows:
        return None
    ((invitation_id, response_id, saved_before, _written),) = rows
    saved = frozenset(saved_before) | frozenset(values)
    next_page = first_unsaved_page(plan, saved)
    # The same line as every other page save (services/page_save.py): ids only.
    log.info(
        "answers saved",
        extra={"invitation_id": invitation_id, "response_id": response_id, "page": page},
    )
    return PageSaved(response_id, False, next_page, len(plan))
