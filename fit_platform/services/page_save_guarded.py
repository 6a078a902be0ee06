"""The page save in one statement, decided from the page's own link read (PostgreSQL).

Every patient page reads its link context first (`services/link_context.py`): the invitation's
state and expiry, its response and the answers saved so far. The locked save
(`page_save._save_direct`) read most of that again under the invitation's lock, in a
transaction of four round trips (BEGIN, the locking SELECT, the write, COMMIT). Here the save
is decided from the link read by the same rules (``_page_writes``) and written in one
statement, in autocommit, which takes the same lock and writes only if what the decision
rested on still holds:

- the invitation still has the state and expiry that were read (anything else: a finished,
  withdrawn, declined or expired questionnaire, or one moved to another expiry), and
- its response is in progress.

The lock is ``FOR UPDATE OF invitation``, as in the locked save, so a save and a submit (or a
withdrawal) of the same questionnaire still follow each other. When the lock had to wait,
PostgreSQL checks the condition again on the invitation's newest version, but with the
response row as the statement first read it: the response's status is no protection of its
own then. What protects is that a response is submitted only by ``answering.submit``, which
completes its invitation in the same transaction under the same lock, so the invitation's
state has changed too (a test holds that rule). When the condition fails, nothing is written
and the caller runs the locked save, which finds out why (and tells the patient) or saves
after all.

Answers are written by link id, and only those whose stored value differs from the posted
one at the moment of the write: another tab's save between the read and this write cannot
make a posted answer look unchanged (the last save wins, as with the locked save).

Used for pages whose answers are either all saved already (the answers change) or none
(first save of the page), of a response that exists, and without a risk question (those need
the signal functions of the ORM path). A race of two first saves of the same page ends in a
unique-key error here, and the locked save then updates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from fit_platform.db.direct_read import DirectReader
from fit_platform.domain.codes import Language, ResponseStatus
from fit_platform.services.link_context import LinkContext
from fit_platform.services.page_writes import PageSaved, SavedState, _page_writes

# The lock and the condition the decision rested on; a row when both still hold.
_GUARD = (
    "WITH guard AS ("
    " SELECT invitation.id FROM invitation"
    " JOIN response ON response.invitation_id = invitation.id"
    " WHERE invitation.id = :invitation_id AND response.id = :response_id"
    " AND invitation.state = :state AND invitation.expires_at = :expires_at"
    " AND response.status = :in_progress"
    " FOR UPDATE OF invitation)"
)
# Each returns (1 if the guard held else 0, answers written).
_GUARDED_UPDATE = text(
    _GUARD  # noqa: S608 - constant text: every value is a bound parameter
    + ", written AS ("
    " UPDATE item_answer SET value = page.value, answered_at = :at, language = :language"
    " FROM unnest(CAST(:link_ids AS varchar[]), CAST(:new_values AS double precision[]))"
    " AS page(link_id, value), guard"
    " WHERE item_answer.response_id = :response_id AND item_answer.link_id = page.link_id"
    " AND item_answer.value IS DISTINCT FROM page.value"
    " RETURNING item_answer.id)"
    " SELECT (SELECT count(*) FROM guard), (SELECT count(*) FROM written)"
)
_GUARDED_INSERT = text(
    _GUARD  # noqa: S608 - constant text: every value is a bound parameter
    + ", written AS ("
    " INSERT INTO item_answer (response_id, link_id, value, answered_at, language)"
    " SELECT :response_id, page.link_id, page.value, :at, :language"
    " FROM unnest(CAST(:link_ids AS varchar[]), CAST(:new_values AS double precision[]))"
    " AS page(link_id, value), guard"
    " RETURNING item_answer.id)"
    " SELECT (SELECT count(*) FROM guard), (SELECT count(*) FROM written)"
)


def save_guarded(
    reader: DirectReader,
    seen: LinkContext,
    page: int,
    codes: Mapping[str, str | None],
    answered_in: Language,
    now: dt.datetime,
) -> PageSaved | None:
    """Save the page in one guarded statement, or return None (nothing written) when the
    locked save must do it. Raises what the locked save raises for a closed link, a page that
    does not exist or a forged answer, decided from the link read."""
    if (
        seen.response_id is None
        or seen.invitation_id is None
        or seen.invitation_state is None
        or seen.expires_at is None
        or seen.instrument_id is None
        or seen.episode_id is None
    ):
        return None
    saved = SavedState(
        state=seen.invitation_state,
        expires_at=seen.expires_at,
        instrument_id=seen.instrument_id,
        episode_id=seen.episode_id,
        response_id=seen.response_id,
        response_status=None,  # the guard checks it is still in progress
        response_risk=False,
        answers={link_id: (None, value) for link_id, value in seen.saved_values.items()},
    )
    writes = _page_writes(saved, page, codes, now)
    if writes.new_values and len(writes.new_values) < len(writes.values):
        return None  # partly saved before (the questionnaire's pages changed): locked save
    statement, values = (
        (_GUARDED_INSERT, writes.new_values)
        if writes.new_values
        else (_GUARDED_UPDATE, writes.values)
    )
    try:
        ((held, _written),) = reader.fetch_all(
            statement,
            {
                "invitation_id": seen.invitation_id,
                "response_id": seen.response_id,
                "state": seen.invitation_state.value,
                "expires_at": seen.expires_at,
                "in_progress": ResponseStatus.IN_PROGRESS.value,
                "link_ids": list(values),
                "new_values": list(values.values()),
                "at": now,
                "language": answered_in.value,
            },
        )
    except IntegrityError:  # another tab saved the same new page first: the locked save updates
        return None
    if not held:
        return None
    return PageSaved(seen.response_id, False, writes.next_page(), len(writes.plan))
