"""Saving one page of a questionnaire: the answers, the risk signal, the next page.

Each page is saved in its own transaction with any risk signal it raises, so a half-answered
questionnaire resumes from the same link and a risk answer reaches the therapist even if the
patient never submits. The save's rules (``_page_writes`` in ``services/page_writes.py``)
are decided once, and the page is written by one of three paths
(``docs/decisions/0004-hot-paths.md``):

- (before any of them, and without the link read they are decided from: on PostgreSQL, the
  plainest save, "Next" on a page without a risk question answered in full, by the link the
  browser's session names, in one guarded statement: ``services/page_save_one_trip.py``; when
  its guard refuses, the web reads the link and comes here);
- on PostgreSQL, a page without a risk question: first in one guarded statement decided from
  the page's own link read (``services/page_save_guarded.py``), and when its guard finds that
  something changed since that read, by the locked save on the worker's direct connection
  (``_save_direct``);
- every other page, and every page on SQLite: in the ORM session's transaction, with the
  signal functions (``_save_in_session``).

Logs carry ids only: never tokens, answers or free text.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.direct_read import DirectReader, DirectTransaction
from fit_platform.db.models import ItemAnswer, Response
from fit_platform.domain.codes import Language, ResponseStatus
from fit_platform.domain.instruments import Instrument, get_instrument
from fit_platform.services import signals as signal_service
from fit_platform.services.answer_transaction import RACE_RETRIES, with_retry
from fit_platform.services.link_context import LinkContext, has_risk_question, page_plan
from fit_platform.services.page_save_guarded import save_guarded
from fit_platform.services.page_writes import (
    _LOCK_WITH_ANSWERS,
    PageSaved,
    _converted,
    _page_writes,
    saved_under_lock,
)

log = logging.getLogger(__name__)


_answers = ItemAnswer.__table__
_UPDATE_ANSWER = (
    update(_answers)
    .where(_answers.c.id == bindparam("answer_id"))
    .values(value=bindparam("new_value"), answered_at=bindparam("at"), language=bindparam("lang"))
)
_responses = Response.__table__


# The same changes for PostgreSQL's direct connection, each one statement whatever the number
# of answers (an executemany there is one prepared execution per answer).
_UPDATE_ANSWERS_DIRECT = text(
    "UPDATE item_answer SET value = changed.value, answered_at = :at, language = :language"
    " FROM unnest(CAST(:answer_ids AS integer[]), CAST(:new_values AS double precision[]))"
    " AS changed(id, value) WHERE item_answer.id = changed.id"
)
_INSERT_ANSWERS_DIRECT = text(
    "INSERT INTO item_answer (response_id, link_id, value, answered_at, language)"
    " SELECT :response_id, new.link_id, new.value, :at, :language"
    " FROM unnest(CAST(:link_ids AS varchar[]), CAST(:new_values AS double precision[]))"
    " AS new(link_id, value)"
)


def _insert_response(
    session: Session,
    invitation_id: int,
    instrument: Instrument,
    episode_id: int,
    language: Language,
    now: dt.datetime,
) -> int:
    # The unique invitation_id makes a racing second insert fail here (and be retried).
    return int(
        session.connection()
        .execute(
            insert(_responses).returning(_responses.c.id),
            {
                "invitation_id": invitation_id,
                "episode_id": episode_id,
                "instrument_id": instrument.id,
                "instrument_version": instrument.version,
                "language": language,
                "status": ResponseStatus.IN_PROGRESS,
                "started_at": now,
                "risk": False,
            },
        )
        .scalar_one()
    )


def save_page(
    db: Database,
    invitation_id: int,
    page: int,
    codes: Mapping[str, str | None],
    language: Language | Callable[[], Language],
    now: dt.datetime,
    instrument_id: str | None = None,
    *,
    answered_in: Language | None = None,
    seen: LinkContext | None = None,
) -> PageSaved:
    """Save one page of answers (codes as posted; None or "" = left blank).

    Every item of the page gets a row (blank ones with no value), so the page counts as
    answered and resuming skips it; with ``codes`` an ``AnsweredInPart`` (a page not answered
    in full, saved on the way back or on a language change) only the items in it are
    written, and resuming comes back. Raises ``InvalidAnswerError`` for an unknown item or a
    forged value, ``LinkClosedError`` when the invitation cannot be answered any more, and
    ``ValueError`` for a page number that does not exist.

    ``instrument_id`` is the invitation's questionnaire as the caller already read it (the
    link context): with it, on PostgreSQL, a page without a risk question is saved on the
    process's direct connection (``_save_direct``); any other page, and every page on SQLite,
    through the ORM session the signal functions need. Both follow ``_page_writes``.

    ``language`` is the questionnaire's language, stored only on a response that is not there
    yet (the save of a page whose invitation was never started): it may be a function, asked
    only then. The web passes its locale look-up that way, so a save finds no locale it does
    not need.

    ``answered_in`` is the language the page was answered in (its questions as shown), kept
    on each answer it writes or changes: a patient may switch language mid-questionnaire.
    The web passes it from the locale's code, which costs next to nothing; without it, it is
    ``language`` (asked then).

    ``seen`` is the link context the page was read with (the web's `needs_link`): with it, on
    PostgreSQL, such a page is first saved in one guarded statement decided from that read
    (`services/page_save_guarded.py`), and by the locked save only when the guard finds that
    something changed since.
    """
    if answered_in is None:
        answered_in = language if isinstance(language, Language) else language()
    result = None
    reader = db.direct_reader()
    if reader is not None and instrument_id is not None:
        instrument = get_instrument(instrument_id)
        plan = page_plan(instrument)
        if 1 <= page <= len(plan) and not has_risk_question(instrument, plan[page - 1]):
            if (
                seen is not None
                and seen.invitation_id == invitation_id
                and seen.instrument_id == instrument_id
            ):
                result = save_guarded(reader, seen, page, codes, answered_in, now)
            if result is None:
                result = _save_direct(
                    reader, invitation_id, instrument_id, page, codes, answered_in, now
                )
    if result is None:
        result = with_retry(
            db,
            now,
            lambda session: _save_in_session(
                session, invitation_id, page, codes, language, answered_in, now
            ),
        )
    log.info(
        "answers saved",
        extra={"invitation_id": invitation_id, "response_id": result.response_id, "page": page},
    )
    return result


class _NoRiskAnswer(Exception):
    """A page sent after the deadline without a risk answer: nothing is written."""


def keep_late_risk_answer(
    db: Database,
    invitation_id: int,
    page: int,
    codes: Mapping[str, str | None],
    answered_in: Language,
    now: dt.datetime,
) -> bool:
    """A page posted after its questionnaire ran out of time is not saved, but a risk answer
    on it is never dropped: the page is saved to the unfinished questionnaire (which is never
    scored) and the risk signal raised, as on time. True when that happened; False when the
    page has no risk answer (nothing is written). Raises ``LinkClosedError`` as ``save_page``
    does when the questionnaire closed otherwise (sent, withdrawn, declined, erased).

    The patient had the page open when the deadline passed (overnight, say) and ticked the
    risk question: they were refused with "this questionnaire is closed", no help, and the
    therapist saw nothing (`docs/patient-journey.md`, "A risk answer after the deadline")."""
    try:
        saved = with_retry(
            db,
            now,
            lambda session: _save_in_session(
                session, invitation_id, page, codes, answered_in, answered_in, now, late=True
            ),
        )
    except _NoRiskAnswer:
        return False
    log.info(
        "late risk answer kept",
        extra={
            "event": "late_risk_answer_kept",
            "invitation_id": invitation_id,
            "response_id": saved.response_id,
            "page": page,
        },
    )
    return True


def _save_in_session(
    session: Session,
    invitation_id: int,
    page: int,
    codes: Mapping[str, str | None],
    language: Language | Callable[[], Language],
    answered_in: Language,
    now: dt.datetime,
    *,
    late: bool = False,
) -> PageSaved:
    """The page save in the ORM session's transaction, with the risk signal it raises
    (``late``: a page sent after the deadline, saved only with a risk answer, else
    ``_NoRiskAnswer``).

    Core statements, not ORM objects: the page save is a hot path, and the ORM's identity map
    and flush were about half of its CPU for three small statements. They go to the session's
    connection directly (the same transaction), past the ORM's statement handling.
    """
    connection = session.connection()
    rows = connection.execute(_LOCK_WITH_ANSWERS, {"invitation_id": invitation_id}).all()
    writes = _page_writes(saved_under_lock(rows), page, codes, now, expired_too=late)
    instrument = writes.instrument
    if late and not signal_service.has_risk_answer(instrument, writes.values):
        raise _NoRiskAnswer  # after the deadline only a risk answer is kept
    episode_id = writes.episode_id
    response_id = writes.response_id
    if response_id is None:
        if not isinstance(language, Language):
            language = language()
        response_id = _insert_response(
            session, invitation_id, instrument, episode_id, language, now
        )
    if writes.updates:
        connection.execute(
            _UPDATE_ANSWER,
            [
                {"answer_id": a, "new_value": v, "at": now, "lang": answered_in}
                for a, v in writes.updates
            ],
        )
    if writes.new_values:
        # One executemany that fetches no ids back.
        connection.execute(
            insert(_answers),
            [
                {
                    "response_id": response_id,
                    "link_id": k,
                    "value": v,
                    "answered_at": now,
                    "language": answered_in,
                }
                for k, v in writes.new_values.items()
            ],
        )
    if writes.changed:
        signal_service.note_risk_answer_changes(
            session,
            instrument,
            episode_id=episode_id,
            response_id=response_id,
            changes=writes.changed,
            now=now,
        )
    risk = signal_service.raise_risk_signal(
        session,
        instrument,
        episode_id=episode_id,
        response_id=response_id,
        answers=writes.values,
        now=now,
    )
    if risk and not writes.response_risk:
        connection.execute(
            update(_responses).where(_responses.c.id == response_id).values(risk=True)
        )
    if late:
        signal_service.note_late_risk_answer(
            session, episode_id=episode_id, response_id=response_id, now=now
        )
    return PageSaved(response_id, risk, writes.next_page(), len(writes.plan))


class _UseSession(Exception):
    """The direct save found something only the ORM path does (a response still to create)."""


def _save_direct(
    reader: DirectReader,
    invitation_id: int,
    instrument_id: str,
    page: int,
    codes: Mapping[str, str | None],
    answered_in: Language,
    now: dt.datetime,
) -> PageSaved | None:
    """A page without a risk question, saved in one transaction on PostgreSQL's direct
    connection (`db/direct_read.py`): the same locking SELECT, then one UPDATE and one INSERT
    at most, as prepared statements, without an ORM session, a pool checkout or SQLAlchemy's
    execution. None when the ORM path must do it (no response yet, another questionnaire
    than the caller said): nothing is written then.

    Such a page can raise no risk signal and change no risk answer, so the signal functions
    the ORM path calls would do nothing here. Safe to run again (after a lost connection or
    a unique-key race): it decides from what the locked read finds.
    """

    def work(unit: DirectTransaction) -> PageSaved:
        rows = [
            _converted(row)
            for row in unit.fetch_all(_LOCK_WITH_ANSWERS, {"invitation_id": invitation_id})
        ]
        writes = _page_writes(saved_under_lock(rows), page, codes, now)
        if writes.response_id is None or writes.instrument.id != instrument_id:
            raise _UseSession
        if writes.updates:
            unit.execute(
                _UPDATE_ANSWERS_DIRECT,
                {
                    "answer_ids": [a for a, _v in writes.updates],
                    "new_values": [v for _a, v in writes.updates],
                    "at": now,
                    "language": answered_in.value,
                },
            )
        if writes.new_values:
            unit.execute(
                _INSERT_ANSWERS_DIRECT,
                {
                    "response_id": writes.response_id,
                    "link_ids": list(writes.new_values),
                    "new_values": list(writes.new_values.values()),
                    "at": now,
                    "language": answered_in.value,
                },
            )
        return PageSaved(writes.response_id, False, writes.next_page(), len(writes.plan))

    try:
        for _attempt in range(RACE_RETRIES):
            try:
                return reader.transaction(work)
            except IntegrityError:  # two tabs saved the same new page: the retry updates
                continue
        return reader.transaction(work)
    except _UseSession:
        return None
