"""Pages whose query count must not grow with a patient's history (the caseload and the
pre-session view are covered in tests/services/test_caseload_and_presession.py)."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import PASSWORD, add_appointment, add_history, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation
from tests.support.queries import count_statements


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _progress_statements(app: Flask, weeks: int) -> int:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [(week * 7) % 27 for week in range(weeks)])
    client = app.test_client()
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "1")
    patient.finish()
    with count_statements(db.engine) as counter:
        assert client.get("/p/done?lang=en").status_code == 200
    return counter.count


def test_the_patients_progress_page_costs_the_same_queries_for_3_and_150_answers(
    app: Flask,
) -> None:
    assert _progress_statements(app, 3) == _progress_statements(app, 150)


def _appointments_statements(app: Flask, appointments: int) -> int:
    db = _db(app)
    world = make_world(db)
    start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    for week in range(appointments):
        add_appointment(db, world, start + dt.timedelta(weeks=week))
    add_history(db, world, [10] * appointments)
    client = app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    with count_statements(db.engine) as counter:
        response = client.get(f"/clinician/episodes/{world.episode_id}/appointments")
        assert response.status_code == 200
    return counter.count


def test_the_appointments_page_costs_the_same_queries_for_2_and_60_appointments(
    app: Flask,
) -> None:
    assert _appointments_statements(app, 2) == _appointments_statements(app, 60)
