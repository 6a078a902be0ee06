"""What saving one page of a questionnaire changes, decided once from the locked rows: the
page save's rules (``_page_writes``), shared by its ORM path and PostgreSQL's direct one
(``services/page_save.py``, ``docs/decisions/0004-hot-paths.md``), and the locking read they
are decided from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from fit_platform.db.models import Invitation, ItemAnswer, Response
from fit_platform.domain.codes import InvitationState, ResponseStatus
from fit_platform.domain.instruments import Instrument, get_instrument
from fit_platform.domain.scoring import answers_from_codes
from fit_platform.services.answer_transaction import LinkClosedError
from fit_platform.services.link_context import (
    LinkStatus,
    first_unsaved_page,
    invitation_link_status,
    page_plan,
)

# The page save's read, built once per process: the open invitation locked, with its
# response and the answers saved so far (one row per answer, at least one row), as plain
# columns. ``FOR UPDATE OF invitation`` serialises saves of the same questionnaire (two tabs)
# on PostgreSQL; SQLite serialises all writes anyway.
_LOCK_WITH_ANSWERS = (
    select(
        Invitation.state,
        Invitation.expires_at,
        Invitation.instrument_id,
        Invitation.episode_id,
        Response.id.label("response_id"),
        Response.status.label("response_status"),
        Response.risk.label("response_risk"),
        ItemAnswer.id.label("answer_id"),
        ItemAnswer.link_id,
        ItemAnswer.value,
    )
    .select_from(Invitation)
    .outerjoin(Response, Response.invitation_id == Invitation.id)
    .outerjoin(ItemAnswer, ItemAnswer.response_id == Response.id)
    .where(Invitation.id == bindparam("invitation_id"))
    .with_for_update(of=Invitation)
)


# The lock statement's columns by position: a SQLAlchemy row and a direct read's tuple alike.
(
    _STATE,
    _EXPIRES_AT,
    _INSTRUMENT_ID,
    _EPISODE_ID,
    _RESPONSE_ID,
    _RESPONSE_STATUS,
    _RESPONSE_RISK,
    _ANSWER_ID,
    _LINK_ID,
    _VALUE,
) = range(10)
assert len(_LOCK_WITH_ANSWERS.selected_columns) == _VALUE + 1


@dataclass(frozen=True)
class PageSaved:
    """What a page save tells the page: the response, whether a risk answer was given, and
    where the patient goes next."""

    response_id: int
    risk: bool
    next_page: int
    page_count: int


@dataclass(frozen=True)
class SavedState:
    """What a page save decides from: the invitation and its response as read, and the answers
    saved so far. Read under the invitation's lock (``saved_under_lock``) or, for the guarded
    write on PostgreSQL, taken from the page's link read (``services/page_save.py``)."""

    state: InvitationState
    expires_at: dt.datetime
    instrument_id: str
    episode_id: int
    response_id: int | None  # None: the response is not there yet
    # None where the read did not bring it: the guarded write checks it is still in progress.
    response_status: ResponseStatus | None
    response_risk: bool
    # link id: (answer id, value); the id is None where the read did not bring it.
    answers: Mapping[str, tuple[int | None, float | None]]


def saved_under_lock(rows: Sequence[Sequence[Any]]) -> SavedState | None:
    """The lock statement's rows (values as SQLAlchemy's column types give them) as a
    `SavedState`; None when the invitation is not there."""
    if not rows:
        return None
    first = rows[0]
    return SavedState(
        state=first[_STATE],
        expires_at=first[_EXPIRES_AT],
        instrument_id=first[_INSTRUMENT_ID],
        episode_id=first[_EPISODE_ID],
        response_id=first[_RESPONSE_ID],
        response_status=first[_RESPONSE_STATUS],
        response_risk=bool(first[_RESPONSE_RISK]),
        answers={r[_LINK_ID]: (r[_ANSWER_ID], r[_VALUE]) for r in rows if r[_LINK_ID] is not None},
    )


@dataclass(frozen=True)
class _PageWrites:
    """What saving one page changes, decided from the saved state: the save's rules, shared by
    the SQLAlchemy path and PostgreSQL's direct ones."""

    instrument: Instrument
    plan: list[tuple[str, ...]]
    values: dict[str, float | None]  # the page's answers as posted, blanks as None
    episode_id: int
    response_id: int | None  # None: the response is not there yet
    response_risk: bool
    updates: list[tuple[int | None, float | None]]  # (answer id, new value) of changed answers
    changed: dict[str, tuple[float | None, float | None]]  # link id: (old, new)
    new_values: dict[str, float | None]  # answers saved for the first time
    saved: frozenset[str]  # link ids answered once this page is saved

    def next_page(self) -> int:
        return first_unsaved_page(self.plan, self.saved)


class AnsweredInPart(dict[str, str | None]):
    """A page's answers saved in part ("Back" or a language choice on a page not answered in
    full): only the questions in it are written, the others are left as they are rather than
    saved as left blank, so the page still counts as not answered and resuming comes back."""


def _page_writes(
    saved: SavedState | None,
    page: int,
    codes: Mapping[str, str | None],
    now: dt.datetime,
    *,
    expired_too: bool = False,
) -> _PageWrites:
    """The changes of a page save. Raises ``LinkClosedError`` when the invitation cannot be
    answered (``expired_too``: unless it only ran out of time, for a late risk answer),
    ``ValueError`` for a page that does not exist, ``InvalidAnswerError`` for a forged
    answer."""
    if saved is None:
        raise LinkClosedError(LinkStatus.UNKNOWN)
    status = invitation_link_status(saved.state, saved.expires_at, now)
    if status is not LinkStatus.OPEN and not (expired_too and status is LinkStatus.EXPIRED):
        raise LinkClosedError(status)
    instrument = get_instrument(saved.instrument_id)
    plan = page_plan(instrument)
    if not 1 <= page <= len(plan):
        raise ValueError("no such page")
    link_ids = plan[page - 1]
    # Every item of the page is written, a missing one as left blank, unless the page is
    # saved in part: then only the items answered are.
    if isinstance(codes, AnsweredInPart):
        link_ids = tuple(k for k in link_ids if k in codes)
    values = answers_from_codes(instrument, {k: codes.get(k) for k in link_ids})
    response_id = saved.response_id
    existing: Mapping[str, tuple[int | None, float | None]] = {}
    if response_id is not None:
        if saved.response_status is ResponseStatus.SUBMITTED:
            raise LinkClosedError(LinkStatus.COMPLETED)
        existing = saved.answers
    changed: dict[str, tuple[float | None, float | None]] = {}
    new_values: dict[str, float | None] = {}
    updates: list[tuple[int | None, float | None]] = []
    for link_id, value in values.items():
        row = existing.get(link_id)
        if row is None:
            new_values[link_id] = value
        elif row[1] != value:
            changed[link_id] = (row[1], value)
            updates.append((row[0], value))
    return _PageWrites(
        instrument=instrument,
        plan=plan,
        values=values,
        episode_id=saved.episode_id,
        response_id=response_id,
        response_risk=saved.response_risk,
        updates=updates,
        changed=changed,
        new_values=new_values,
        saved=frozenset(existing) | frozenset(new_values),
    )


def _converted(row: Sequence[Any]) -> list[Any]:
    """A driver's row with the values SQLAlchemy's column types would have converted."""
    out = list(row)
    out[_STATE] = InvitationState(out[_STATE])
    out[_EXPIRES_AT] = None if out[_EXPIRES_AT] is None else out[_EXPIRES_AT].astimezone(dt.UTC)
    if out[_RESPONSE_STATUS] is not None:
        out[_RESPONSE_STATUS] = ResponseStatus(out[_RESPONSE_STATUS])
    return out
