"""A patient can reach "See your progress" from a link whose questionnaire is still open.

The done page tells her to open a link from the clinic and choose "See your progress", but
the landing of an open questionnaire offered no such choice, and with that link open in the
browser `/p/progress` said "We could not find an open questionnaire in this browser" (seen
walking as a patient of a group). Most of her messages are new questionnaires."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation


def test_the_open_landing_offers_progress_and_leads_to_the_code_step(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    landing = client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert 'value="progress"' in landing and "See your progress" in landing
    patient = Patient(client, token)
    chosen = patient.post(f"/p/{token}", {"action": "progress"})
    assert chosen.headers["Location"] == "/p/progress"
    assert "Send me a code" in client.get("/p/progress?lang=en").get_data(as_text=True)


def test_progress_opened_by_hand_with_an_open_link_in_the_browser_is_the_code_step(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    assert patient.post(f"/p/{token}", {"action": "choices"}).status_code == 302  # bound
    page = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "could not find an open questionnaire" not in page
    assert "Send me a code" in page
