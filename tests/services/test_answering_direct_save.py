"""The page save on PostgreSQL's direct connection (`page_save._save_direct`) writes what the
ORM session's path writes, leaves every page with a risk question to that path, and rides out
a two-tab race and a lost connection."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, exc, select, text

from fit_platform.db import Database
from fit_platform.db.direct_read import DirectReader
from fit_platform.db.models import Response, Signal
from fit_platform.domain.codes import Language, ResponseStatus
from fit_platform.domain.scoring import InvalidAnswerError
from fit_platform.services import answering, page_save
from tests.support.factories import make_world
from tests.support.patient import now, open_invitation, saved_answers
from tests.support.postgres import end_other_backends
from tests.support.production_stack import free_port

# PostgreSQL only (SQLite always saves through the session); emptied after each test.
on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

FIRST = {f"phq9_{n}": "1" for n in range(1, 6)}
SECOND_RISK = {"phq9_6": "0", "phq9_7": "0", "phq9_8": "0", "phq9_9": "2"}


def _started(db: Database, **kwargs: Any) -> int:
    invitation_id, _token = open_invitation(db, make_world(db, **kwargs))
    answering.start_answering(db, invitation_id, Language.ENGLISH, now())
    return invitation_id


def _path_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which path each save took."""
    taken: list[str] = []
    direct, in_session = page_save._save_direct, page_save._save_in_session

    def spy_direct(*args: Any, **kwargs: Any) -> Any:
        result = direct(*args, **kwargs)
        taken.append("direct" if result is not None else "direct declined")
        return result

    def spy_session(*args: Any, **kwargs: Any) -> Any:
        taken.append("session")
        return in_session(*args, **kwargs)

    monkeypatch.setattr(page_save, "_save_direct", spy_direct)
    monkeypatch.setattr(page_save, "_save_in_session", spy_session)
    return taken


@on_postgresql
def test_the_direct_save_writes_what_the_session_path_writes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _path_spy(monkeypatch)
    direct_id, session_id = _started(db), _started(db)
    at = now()
    results = []
    for codes in (FIRST, {**FIRST, "phq9_2": "3", "phq9_5": ""}, {**FIRST, "phq9_2": "3"}):
        by_direct = answering.save_page(
            db, direct_id, 1, codes, Language.ENGLISH, at, instrument_id="phq9"
        )
        by_session = answering.save_page(db, session_id, 1, codes, Language.ENGLISH, at)
        results.append((by_direct, by_session))
        at += dt.timedelta(minutes=1)
    assert taken == ["direct", "session"] * 3
    for by_direct, by_session in results:
        assert (
            (by_direct.risk, by_direct.next_page, by_direct.page_count)
            == (
                by_session.risk,
                by_session.next_page,
                by_session.page_count,
            )
            == (False, 2, 2)
        )
    assert saved_answers(db, direct_id) == saved_answers(db, session_id)
    saved = saved_answers(db, direct_id)
    assert saved["phq9_2"][0] == 3 and saved["phq9_5"][0] == 1
    # An unchanged answer keeps the time it was first given; a changed one gets the new time.
    assert saved["phq9_1"][1] < saved["phq9_2"][1]


@on_postgresql
def test_a_page_with_a_risk_question_is_saved_through_the_session_and_raises_the_signal(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _path_spy(monkeypatch)
    invitation_id = _started(db)
    at = now()
    answering.save_page(db, invitation_id, 1, FIRST, Language.ENGLISH, at, instrument_id="phq9")
    saved = answering.save_page(
        db, invitation_id, 2, SECOND_RISK, Language.ENGLISH, at, instrument_id="phq9"
    )
    assert taken == ["direct", "session"]
    assert saved.risk and saved.next_page == 3
    assert answering.response_has_risk(db, saved.response_id)
    with db.session() as session:
        assert session.scalars(select(Signal.code)).all() == ["risk_answer"]


@on_postgresql
def test_the_direct_save_leaves_a_missing_response_to_the_session_and_refuses_what_it_refused(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _path_spy(monkeypatch)
    invitation_id, token = open_invitation(db, make_world(db))
    at = now()
    # Never started: the response is created by the session path, nothing by the direct one.
    first = answering.save_page(
        db, invitation_id, 1, FIRST, Language.ENGLISH, at, instrument_id="phq9"
    )
    assert taken == ["direct declined", "session"]
    assert len(saved_answers(db, invitation_id)) == 5
    taken.clear()

    with pytest.raises(InvalidAnswerError):
        answering.save_page(
            db,
            invitation_id,
            1,
            {**FIRST, "phq9_1": "9"},
            Language.ENGLISH,
            at,
            instrument_id="phq9",
        )
    with db.transaction() as session:
        session.get_one(Response, first.response_id).status = ResponseStatus.SUBMITTED
    with pytest.raises(answering.LinkClosedError) as closed:
        answering.save_page(db, invitation_id, 1, FIRST, Language.ENGLISH, at, instrument_id="phq9")
    assert closed.value.status is answering.LinkStatus.COMPLETED
    with pytest.raises(answering.LinkClosedError) as expired:
        answering.save_page(
            db,
            invitation_id,
            1,
            FIRST,
            Language.ENGLISH,
            at + dt.timedelta(days=30),
            instrument_id="phq9",
        )
    assert expired.value.status is answering.LinkStatus.EXPIRED
    assert taken == []  # each refused inside the direct transaction, nothing written
    assert {v for v, _at in saved_answers(db, invitation_id).values()} == {1}
    # The connection is usable again after each refusal (its transaction was rolled back).
    assert len(answering.inspect_link(db, token, at).saved_values) == 5


@on_postgresql
def test_two_tabs_saving_the_same_new_page_save_it_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    invitation_id = _started(db)
    # Two web workers: each its own process connection.
    workers = [Database(db.url), Database(db.url)]
    races: list[exc.IntegrityError] = []
    transaction = DirectReader.transaction

    def counted(self: DirectReader, work: Any) -> Any:
        try:
            return transaction(self, work)
        except exc.IntegrityError as error:
            races.append(error)
            raise

    monkeypatch.setattr(DirectReader, "transaction", counted)
    results: list[Any] = []
    errors: list[BaseException] = []
    blocker = create_engine(db.url)
    with blocker.connect() as holder:
        # Hold the invitation's row lock so both saves wait on it, then let them go together.
        holder.execute(
            text("SELECT id FROM invitation WHERE id = :id FOR UPDATE"), {"id": invitation_id}
        )

        def save(worker: Database, value: str) -> None:
            try:
                codes = {k: value for k in FIRST}
                results.append(
                    answering.save_page(
                        worker,
                        invitation_id,
                        1,
                        codes,
                        Language.ENGLISH,
                        now(),
                        instrument_id="phq9",
                    )
                )
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [
            threading.Thread(target=save, args=(worker, value))
            for worker, value in zip(workers, ("1", "2"), strict=True)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = holder.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                )
            ).scalar_one()
            if waiting >= 2:
                break
            time.sleep(0.05)
        holder.rollback()
    for thread in threads:
        thread.join(timeout=20)
    blocker.dispose()
    for worker in workers:
        worker.dispose()
    assert errors == [] and len(results) == 2
    assert {r.next_page for r in results} == {2}
    saved = saved_answers(db, invitation_id)
    assert len(saved) == 5
    # The second save's read was taken before the first committed: its INSERT met the first
    # one's rows, and the save ran again, found them and updated them.
    assert len(races) == 1
    assert len({value for value, _at in saved.values()}) == 1


@on_postgresql
def test_a_save_after_the_server_dropped_the_connection_opens_a_new_one(db: Database) -> None:
    invitation_id = _started(db)
    at = now()
    answering.save_page(db, invitation_id, 1, FIRST, Language.ENGLISH, at, instrument_id="phq9")
    assert end_other_backends(db.url) >= 1  # what a database restart does
    saved = answering.save_page(
        db, invitation_id, 1, {**FIRST, "phq9_3": "2"}, Language.ENGLISH, at, instrument_id="phq9"
    )
    assert saved.next_page == 2
    assert saved_answers(db, invitation_id)["phq9_3"][0] == 2


def test_a_save_when_the_database_does_not_answer_is_sqlalchemys_operational_error() -> None:
    db = Database(f"postgresql+psycopg://fit@127.0.0.1:{free_port()}/fit?connect_timeout=2")
    with pytest.raises(exc.OperationalError):
        answering.save_page(db, 1, 1, FIRST, Language.ENGLISH, now(), instrument_id="phq9")
    db.dispose()
