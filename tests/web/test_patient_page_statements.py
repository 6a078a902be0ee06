"""The SQL statements of the patient's hot pages are counted, so a change that adds one fails.

The landing page and the answer page read the link's whole context (token, invitation,
episode, patient, unit, response, saved answers) in one joined SELECT. A page save on
PostgreSQL is one statement and no link read: it locks the invitation, checks that the link
still lets this browser answer and writes the page's answers
(`services/page_save_one_trip.py`); on SQLite the link read, one SELECT that locks and loads the
saved answers, and one INSERT or UPDATE of the page's answers. Raising a limit here should be a
decision, with a benchmark run (benchmarks/bench_patient_pages.py), not an accident. Counted
with a `before_cursor_execute` listener through the Flask test client, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation
from tests.support.queries import count_statements

LANDING = 1
ANSWER_PAGE = 1
# PostgreSQL: one guarded upsert of the page's answers. SQLite: context, lock + saved answers,
# one INSERT or UPDATE.
PAGE_SAVE = {"postgresql": 1, "sqlite": 3}


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def test_the_landing_page_reads_its_link_in_one_statement(app: Flask) -> None:
    db = _db(app)
    _invitation_id, token = open_invitation(db, make_world(db))
    client = app.test_client()
    with count_statements(db.engine) as counter:
        page = client.get(f"/p/{token}?lang=en")
    assert page.status_code == 200
    assert "Start" in page.get_data(as_text=True)
    assert counter.count == LANDING, counter.statements


def test_an_unknown_link_costs_one_statement_and_a_too_long_one_none(app: Flask) -> None:
    db = _db(app)
    client = app.test_client()
    with count_statements(db.engine) as counter:
        assert client.get("/p/" + "x" * 43).status_code == 404
    assert counter.count == 1, counter.statements
    with count_statements(db.engine) as counter:
        assert client.get("/p/" + "x" * 129).status_code == 404
    assert counter.count == 0, counter.statements


def test_saving_a_page_and_showing_the_next_one_keep_their_statement_counts(
    app: Flask,
) -> None:
    db = _db(app)
    page_save = PAGE_SAVE[db.engine.dialect.name]
    _invitation_id, token = open_invitation(db, make_world(db))
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302

    with count_statements(db.engine) as counter:
        page = patient.client.get("/p/answer/1")
    assert page.status_code == 200
    assert counter.count == ANSWER_PAGE, counter.statements

    first = {f"phq9_{n}": "1" for n in range(1, 6)}
    with count_statements(db.engine) as counter:
        saved = patient.answer_page(1, first)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/p/answer/2")
    assert counter.count == page_save, counter.statements
    assert any("INSERT INTO ITEM_ANSWER" in s.upper() for s in counter.statements)

    # Changing the answers on the same page: the same count, now an UPDATE.
    with count_statements(db.engine) as counter:
        saved = patient.answer_page(1, {**first, "phq9_2": "3"})
    assert saved.status_code == 302
    assert counter.count == page_save, counter.statements
    # SQLite: an UPDATE; PostgreSQL: the upsert's update of a saved answer.
    assert any(
        "UPDATE ITEM_ANSWER" in s.upper() or "DO UPDATE" in s.upper() for s in counter.statements
    )

    # What was saved is what the patient sees when coming back to the page.
    with count_statements(db.engine) as counter:
        again = patient.client.get("/p/answer/1").get_data(as_text=True)
    assert counter.count == ANSWER_PAGE
    assert 'checked id="phq9_2-3"' in again and 'checked id="phq9_1-1"' in again
