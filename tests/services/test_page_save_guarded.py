"""The page save in one guarded statement (`services/page_save_guarded.py`), decided from the
page's own link read: it writes what the locked save writes, and when anything the decision
rested on changed between that read and the write (the questionnaire finished, withdrawn or
moved, or another tab saved), it writes nothing itself and the locked save decides."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text, update

import fit_platform
from fit_platform.db import Database
from fit_platform.db.models import Invitation
from fit_platform.domain.codes import InvitationState, Language
from fit_platform.services import answering, page_save, page_save_guarded
from fit_platform.services.answer_transaction import LinkClosedError
from fit_platform.services.link_context import LinkContext, LinkStatus
from tests.support.factories import make_world
from tests.support.lock_wait import waits_for_a_lock
from tests.support.patient import now, open_invitation, saved_answers

# PostgreSQL only (SQLite saves through the session); emptied after each test.
on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

FIRST = {f"phq9_{n}": "1" for n in range(1, 6)}


def _started(db: Database) -> tuple[int, str]:
    invitation_id, token = open_invitation(db, make_world(db))
    answering.start_answering(db, invitation_id, Language.ENGLISH, now())
    return invitation_id, token


def _read(db: Database, token: str) -> LinkContext:
    """What the page read before its save (`needs_link`)."""
    ctx = answering.inspect_link(db, token, now())
    assert ctx.status is LinkStatus.OPEN
    return ctx


def _save(db: Database, seen: LinkContext, codes: dict[str, str], at: dt.datetime) -> Any:
    assert seen.invitation_id is not None
    return answering.save_page(
        db, seen.invitation_id, 1, codes, Language.ENGLISH, at, instrument_id="phq9", seen=seen
    )


def _paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which path each save took: "guarded", "guard declined" (then the locked save), "locked"."""
    taken: list[str] = []
    guarded, locked = page_save_guarded.save_guarded, page_save._save_direct

    def spy_guarded(*args: Any, **kwargs: Any) -> Any:
        result = guarded(*args, **kwargs)
        taken.append("guarded" if result is not None else "guard declined")
        return result

    def spy_locked(*args: Any, **kwargs: Any) -> Any:
        taken.append("locked")
        return locked(*args, **kwargs)

    monkeypatch.setattr(page_save, "save_guarded", spy_guarded)
    monkeypatch.setattr(page_save, "_save_direct", spy_locked)
    return taken


@on_postgresql
def test_the_guarded_save_writes_what_the_locked_save_writes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _paths(monkeypatch)
    guarded_id, guarded_token = _started(db)
    locked_id, _token = _started(db)
    steps = [
        (FIRST, now()),  # first save of the page: INSERT
        ({**FIRST, "phq9_2": "3", "phq9_5": ""}, now() + dt.timedelta(minutes=1)),  # changed
        ({**FIRST, "phq9_2": "3", "phq9_5": ""}, now() + dt.timedelta(minutes=2)),  # the same
    ]
    for codes, at in steps:
        by_guard = _save(db, _read(db, guarded_token), codes, at)
        by_lock = answering.save_page(
            db, locked_id, 1, codes, Language.ENGLISH, at, instrument_id="phq9"
        )
        assert (by_guard.next_page, by_guard.page_count) == (by_lock.next_page, by_lock.page_count)
        assert saved_answers(db, guarded_id) == saved_answers(db, locked_id)
    assert taken == ["guarded", "locked"] * 3
    saved = saved_answers(db, guarded_id)
    assert saved["phq9_2"] == (3, steps[1][1]) and saved["phq9_5"] == (None, steps[1][1])
    assert saved["phq9_1"] == (1, steps[0][1])  # unchanged answers keep their time


@on_postgresql
@pytest.mark.parametrize(
    ("change", "closed_as"),
    [
        ({"state": InvitationState.COMPLETED}, LinkStatus.COMPLETED),  # submitted in another tab
        ({"state": InvitationState.CANCELLED}, LinkStatus.CANCELLED),  # withdrawn by the clinic
        ({"state": InvitationState.EXPIRED}, LinkStatus.EXPIRED),
    ],
)
def test_a_questionnaire_closed_after_the_read_gets_nothing_written(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    closed_as: LinkStatus,
) -> None:
    taken = _paths(monkeypatch)
    invitation_id, token = _started(db)
    _save(db, _read(db, token), FIRST, now())
    before = saved_answers(db, invitation_id)
    seen = _read(db, token)
    with db.transaction() as session:  # between the page's read and its save
        session.execute(update(Invitation).where(Invitation.id == invitation_id).values(**change))
    with pytest.raises(LinkClosedError) as closed:
        _save(db, seen, {**FIRST, "phq9_1": "3"}, now())
    assert closed.value.status is closed_as
    assert saved_answers(db, invitation_id) == before
    assert taken == ["guarded", "guard declined", "locked"]


@on_postgresql
def test_a_questionnaire_moved_to_another_deadline_after_the_read_is_still_saved(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _paths(monkeypatch)
    invitation_id, token = _started(db)
    seen = _read(db, token)
    assert seen.expires_at is not None
    with db.transaction() as session:  # an appointment moved: the link stays open longer
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(expires_at=seen.expires_at + dt.timedelta(days=1))
        )
    _save(db, seen, FIRST, now())
    assert {value for value, _at in saved_answers(db, invitation_id).values()} == {1}
    assert taken == ["guard declined", "locked"]


@on_postgresql
def test_the_last_save_wins_even_when_another_tab_saved_after_the_read(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _paths(monkeypatch)
    invitation_id, token = _started(db)
    _save(db, _read(db, token), FIRST, now())
    seen = _read(db, token)  # tab A's read: phq9_2 is 1
    _save(db, _read(db, token), {**FIRST, "phq9_2": "3"}, now())  # tab B saves 3
    # Tab A posts 1 for phq9_2, which its read had as saved already: still written, since it
    # is the later save.
    _save(db, seen, FIRST, now() + dt.timedelta(seconds=5))
    assert saved_answers(db, invitation_id)["phq9_2"][0] == 1
    assert taken == ["guarded"] * 3


@on_postgresql
def test_two_first_saves_of_the_same_page_end_with_the_later_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _paths(monkeypatch)
    invitation_id, token = _started(db)
    first_tab, second_tab = _read(db, token), _read(db, token)  # both: nothing saved yet
    _save(db, first_tab, FIRST, now())
    _save(db, second_tab, {k: "2" for k in FIRST}, now())
    assert {value for value, _at in saved_answers(db, invitation_id).values()} == {2}
    # The second INSERT met the first one's rows; the locked save then updated them.
    assert taken == ["guarded", "guard declined", "locked"]


@on_postgresql
def test_a_save_waiting_for_a_submit_of_the_same_questionnaire_writes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard's lock waits for a transaction that holds the invitation (a submit in another
    tab), then checks the invitation again as that transaction left it."""
    taken = _paths(monkeypatch)
    invitation_id, token = _started(db)
    _save(db, _read(db, token), FIRST, now())
    seen = _read(db, token)
    errors: list[BaseException] = []
    worker = Database(db.url)  # another web worker, with its own connection
    blocker = create_engine(db.url)
    with blocker.connect() as holder:
        holder.execute(
            text("UPDATE invitation SET state = 'completed' WHERE id = :id"), {"id": invitation_id}
        )

        def save() -> None:
            try:
                _save(worker, seen, {**FIRST, "phq9_4": "3"}, now())
            except BaseException as error:  # reported below
                errors.append(error)

        thread = threading.Thread(target=save)
        thread.start()
        assert waits_for_a_lock(blocker, thread), "the save did not wait for the invitation's lock"
        holder.commit()
    thread.join(timeout=20)
    blocker.dispose()
    worker.dispose()
    assert len(errors) == 1 and isinstance(errors[0], LinkClosedError)
    assert errors[0].status is LinkStatus.COMPLETED
    assert {value for value, _at in saved_answers(db, invitation_id).values()} == {1}
    assert taken == ["guarded", "guard declined", "locked"]


def test_a_response_is_submitted_only_where_its_invitation_is_completed_in_the_same_lock() -> None:
    """After waiting for the invitation's lock the guard sees the invitation's newest row but
    the response as first read: it relies on every submit completing the invitation in the
    same locked transaction (`answering.submit`). The other two places make a response that
    is submitted from the start (a history import, the demo's history): nothing is saved into
    those by pages."""
    # An assignment, a keyword or a dict entry; not a comparison (==).
    setting = re.compile(r"status\"?\s*(?:=(?!=)|:)\s*ResponseStatus\.SUBMITTED")
    package = Path(fit_platform.__file__).parent
    found = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if setting.search(path.read_text(encoding="utf-8"))
    )
    assert found == [
        "services/answering.py",
        "services/demo_history.py",
        "services/scored_responses.py",
    ]
    submit = (package / "services/answering.py").read_text(encoding="utf-8")
    body = submit[submit.index("def submit(") :]
    body = body[: body.index("\ndef ")]
    assert "with_for_update=True" in body
    assert "InvitationState.COMPLETED" in body
