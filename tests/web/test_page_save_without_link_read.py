"""The question page's save without a link read (services/page_save_one_trip.py) finds every
change the link read would have found.

On PostgreSQL the plainest save ("Next", every question answered, no risk question) is one
statement whose guard stands in for the link read every other patient page makes. Each test
here changes one thing behind the patient's back after the page was shown (logged out in
another browser, the link revoked, the questionnaire withdrawn or sent, its deadline or the
link's passed, the language on the patient's record, a stale progress grant, another
patient's save) and posts the page: the patient gets the page the link read would have given,
and nothing is written that should not be. Taking any one condition out of the guard fails a
test here, except the response's status, which a submit changes only with the invitation's
state (kept as a second check). The tests run
on SQLite too, where every save reads the link: the outcome must be the same on both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select, update

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Invitation,
    InvitationToken,
    ItemAnswer,
    Patient,
    Response,
)
from fit_platform.domain.codes import InvitationState, Language, ResponseStatus
from fit_platform.web.patient.blueprint import LINK_KEY, PROGRESS_KEY, QUESTIONNAIRE_KEY
from tests.support.factories import make_world
from tests.support.html import csrf_token
from tests.support.patient import Patient as PatientBrowser
from tests.support.patient import now, open_invitation, saved_answers
from tests.support.queries import count_statements


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]  # the app's own engine, whose statements count
    return database


FIRST_PAGE = {f"phq9_{n}": "1" for n in range(1, 6)}
ENDED = "This visit has ended"


def _patient_of(db: Database, invitation_id: int) -> int:
    with db.session() as session:
        return session.execute(
            select(Episode.patient_id)
            .join(Invitation, Invitation.episode_id == Episode.id)
            .where(Invitation.id == invitation_id)
        ).scalar_one()


def _token_id(db: Database, invitation_id: int) -> int:
    with db.session() as session:
        return session.execute(
            select(InvitationToken.id).where(InvitationToken.invitation_id == invitation_id)
        ).scalar_one()


def _logged_out_elsewhere(db: Database, invitation_id: int) -> None:
    with db.session() as session, session.begin():
        session.execute(
            update(Patient)
            .where(Patient.id == _patient_of(db, invitation_id))
            .values(session_generation=Patient.session_generation + 1)
        )


def _a_minute_ago() -> dt.datetime:
    return now() - dt.timedelta(minutes=1)


def _at_change(values: dict[str, object]) -> dict[str, object]:
    """The values to set, a function among them called when the change is made: the table of
    changes is built when the module is imported, and a time taken then is in the future of a
    test run whose wall clock was moved back (FIT_TEST_WALL_CLOCK=06:00)."""
    return {key: value() if callable(value) else value for key, value in values.items()}


def _token_set(**values: object) -> Callable[[Database, int], None]:
    def change(db: Database, invitation_id: int) -> None:
        with db.session() as session, session.begin():
            session.execute(
                update(InvitationToken)
                .where(InvitationToken.invitation_id == invitation_id)
                .values(_at_change(values))
            )

    return change


def _invitation_set(**values: object) -> Callable[[Database, int], None]:
    def change(db: Database, invitation_id: int) -> None:
        with db.session() as session, session.begin():
            session.execute(
                update(Invitation).where(Invitation.id == invitation_id).values(_at_change(values))
            )

    return change


def _sent_meanwhile(db: Database, invitation_id: int) -> None:
    with db.session() as session, session.begin():
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(state=InvitationState.COMPLETED)
        )
        session.execute(
            update(Response)
            .where(Response.invitation_id == invitation_id)
            .values(status=ResponseStatus.SUBMITTED, submitted_at=now())
        )


# What changed, and what the patient must get: the status and a phrase of the page.
CHANGES = {
    "logged out in another browser": (_logged_out_elsewhere, 410, ENDED),
    "link revoked": (_token_set(revoked_at=now), 410, ENDED),
    "link past its own expiry": (
        _token_set(expires_at=_a_minute_ago),
        410,
        "This questionnaire has closed",
    ),
    "questionnaire withdrawn": (
        _invitation_set(state=InvitationState.CANCELLED, non_response_reason="withdrawn"),
        410,
        "This questionnaire has been cancelled",
    ),
    # Sent from another tab or browser: the submit completes the invitation and its response
    # in one transaction (services/answering.py), so both are as a submit leaves them.
    "questionnaire sent meanwhile": (
        _sent_meanwhile,
        410,
        "You have already answered this questionnaire",
    ),
    "deadline passed": (
        _invitation_set(expires_at=_a_minute_ago),
        410,
        "This questionnaire has closed",
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_since_the_page_was_shown_is_found_and_nothing_is_written(
    app: Flask, db: Database, change: str
) -> None:
    make_change, status, phrase = CHANGES[change]
    invitation_id, token = open_invitation(db, make_world(db))
    patient = PatientBrowser(app.test_client(), token)
    assert patient.start().status_code == 302
    assert patient.client.get("/p/answer/1").status_code == 200

    make_change(db, invitation_id)
    page = patient.answer_page(1, FIRST_PAGE)

    assert page.status_code == status, change
    text = page.get_data(as_text=True)
    assert phrase in text and "Traceback" not in text
    assert saved_answers(db, invitation_id) == {}


def test_the_plain_save_is_one_statement_and_a_refused_one_reads_the_link(
    app: Flask, db: Database
) -> None:
    """On PostgreSQL the guard's statement is the whole save; when it refuses, the link read
    and the ordinary path follow (on SQLite every save takes the ordinary path)."""
    invitation_id, token = open_invitation(db, make_world(db))
    patient = PatientBrowser(app.test_client(), token)
    assert patient.start().status_code == 302
    postgres = db.engine.dialect.name == "postgresql"

    with count_statements(_db(app).engine) as counter:
        saved = patient.answer_page(1, FIRST_PAGE)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/p/answer/2")
    assert counter.count == (1 if postgres else 3), counter.statements
    assert {k: v for k, (v, _at) in saved_answers(db, invitation_id).items()} == {
        k: 1.0 for k in FIRST_PAGE
    }

    _invitation_set(expires_at=_a_minute_ago)(db, invitation_id)
    with count_statements(_db(app).engine) as counter:
        late = patient.answer_page(1, {**FIRST_PAGE, "phq9_1": "3"})
    assert late.status_code == 410
    if postgres:
        assert "WITH link AS" in counter.statements[0]
        assert any("invitation_token.id =" in s for s in counter.statements[1:])
    assert saved_answers(db, invitation_id)["phq9_1"][0] == 1.0


def test_a_cookie_without_the_questionnaire_in_it_saves_the_ordinary_way(
    app: Flask, db: Database
) -> None:
    """A browser that opened its link before the session kept the questionnaire (or any
    session that lacks it) saves as before: link read, then the guarded write."""
    invitation_id, token = open_invitation(db, make_world(db))
    patient = PatientBrowser(app.test_client(), token)
    assert patient.start().status_code == 302
    with patient.client.session_transaction() as session:
        assert session.pop(QUESTIONNAIRE_KEY) == "phq9"

    with count_statements(_db(app).engine) as counter:
        saved = patient.answer_page(1, FIRST_PAGE)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/p/answer/2")
    assert counter.count == (2 if db.engine.dialect.name == "postgresql" else 3)
    assert set(saved_answers(db, invitation_id)) == set(FIRST_PAGE)


def test_a_session_naming_another_questionnaire_saves_nothing_under_it(
    app: Flask, db: Database
) -> None:
    """The session is encrypted and cannot be forged; were it wrong all the same, the guard
    compares the questionnaire with the invitation's and the ordinary path decides."""
    invitation_id, token = open_invitation(db, make_world(db))
    patient = PatientBrowser(app.test_client(), token)
    assert patient.start().status_code == 302
    with patient.client.session_transaction() as session:
        session[QUESTIONNAIRE_KEY] = "gad7"

    page = patient.answer_page(1, {f"gad7_{n}": "1" for n in range(1, 5)})

    assert page.status_code == 422  # the PHQ-9's page, with its questions not answered
    assert saved_answers(db, invitation_id) == {}


def test_the_language_on_the_record_changed_since_the_page_was_shown(
    app: Flask, db: Database
) -> None:
    """A patient who never chose a language gets pages in the one on their record; a
    therapist changed it while the page was open. The answers are kept in the new one, as the
    link read would have decided."""
    invitation_id, token = open_invitation(db, make_world(db))
    client = app.test_client()
    landing = client.get(f"/p/{token}")  # no ?lang=: the record's language (bokmål)
    assert landing.status_code == 200
    csrf = csrf_token(landing.get_data(as_text=True))
    assert client.post(f"/p/{token}", data={"csrf_token": csrf}).status_code == 302
    with db.session() as session, session.begin():
        session.execute(
            update(Patient)
            .where(Patient.id == _patient_of(db, invitation_id))
            .values(preferred_language=Language.ENGLISH)
        )

    saved = client.post("/p/answer/1", data={"csrf_token": csrf, **FIRST_PAGE})

    assert saved.status_code == 302 and saved.headers["Location"].endswith("/p/answer/2")
    with db.session() as session:
        languages = set(session.execute(select(ItemAnswer.language)).scalars())
    assert languages == {Language.ENGLISH}


def test_one_patients_save_writes_nothing_into_another_patients_questionnaire(
    app: Flask, db: Database
) -> None:
    """The guard names the link by the session's token row: two patients answering the same
    questionnaire at once each write only their own answers."""
    first_invitation, first_token = open_invitation(db, make_world(db))
    other_invitation, other_token = open_invitation(db, make_world(db))
    first = PatientBrowser(app.test_client(), first_token)
    other = PatientBrowser(app.test_client(), other_token)
    assert first.start().status_code == 302 and other.start().status_code == 302

    saved = first.answer_page(1, FIRST_PAGE)

    assert saved.status_code == 302 and saved.headers["Location"].endswith("/p/answer/2")
    assert set(saved_answers(db, first_invitation)) == set(FIRST_PAGE)
    assert saved_answers(db, other_invitation) == {}


def test_a_progress_grant_from_before_a_logout_is_dropped_by_the_save(
    app: Flask, db: Database
) -> None:
    """A grant to see one's progress carries the session generation it was given in; one that
    no longer matches the link's is dropped by the next patient page, the save included (the
    save without a link read leaves such a browser to the ordinary path)."""
    invitation_id, token = open_invitation(db, make_world(db))
    patient = PatientBrowser(app.test_client(), token)
    assert patient.start().status_code == 302
    patient_id = _patient_of(db, invitation_id)
    with patient.client.session_transaction() as session:
        generation = session[LINK_KEY][1]
        session[PROGRESS_KEY] = [patient_id, int(now().timestamp()) + 600, generation + 1]

    saved = patient.answer_page(1, FIRST_PAGE)

    assert saved.status_code == 302 and saved.headers["Location"].endswith("/p/answer/2")
    assert set(saved_answers(db, invitation_id)) == set(FIRST_PAGE)
    with patient.client.session_transaction() as session:
        assert PROGRESS_KEY not in session
        assert session[LINK_KEY] == [_token_id(db, invitation_id), generation]
