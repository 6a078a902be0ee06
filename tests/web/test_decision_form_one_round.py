"""The samvalg form names every wrong field on the first submit.

A therapist left both required texts empty and chose a review date in the past: the page
named the two texts, and only on the next submit the date, which the service checked once
the rest was right. The date's rule (`samvalg.review_date_problem`, the same the save
applies) now runs with the form's own checks.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import SharedDecision
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation


def test_empty_texts_and_a_past_review_date_are_named_together_and_nothing_is_saved(
    client: FlaskClient,
) -> None:
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new?lang=en"
    page = client.get(url).get_data(as_text=True)
    past = (dt.date.today() - dt.timedelta(days=4)).isoformat()
    data = {
        "csrf_token": csrf_token(page),
        "options_discussed": "",
        "decision": "",
        "review_on": past,
    }
    refused = client.post(url, data=data)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    # The page's title says so too, first thing a screen reader reads of the new page.
    assert "<title>Error: Samvalg record for " in html
    for message in (
        "Write the options you discussed.",
        "Write what you decided together.",
        "Choose today or a later date.",
    ):
        assert message in html
    assert f'value="{past}"' in html  # the date as typed, to correct
    # Only the date wrong: named alone, and the texts kept.
    data |= {"options_discussed": "Keep going", "decision": "More sessions"}
    html = client.post(url, data=data).get_data(as_text=True)
    assert "Choose today or a later date." in html and "Keep going" in html
    assert "Write the options you discussed." not in html
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SharedDecision)) == 0


def test_a_review_date_years_ahead_is_a_mistyped_year_and_is_refused(
    client: FlaskClient,
) -> None:
    """31.12.9999 was saved and stood as "Look at this again 31 Dec 9999" on the pre-session
    view and in the journal text."""
    client.application.extensions["fit_clock"] = lambda: dt.datetime(
        2026, 12, 2, 23, 30, tzinfo=dt.UTC
    )  # 00:30 on 3 December in Oslo: the clinic's today, not the machine's
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new?lang=en"
    page = client.get(url).get_data(as_text=True)
    today = dt.date(2026, 12, 3)
    assert f'max="{(today + dt.timedelta(days=732)).isoformat()}"' in page
    data = {
        "csrf_token": csrf_token(page),
        "options_discussed": "Keep going",
        "decision": "More sessions",
        "review_on": "31.12.9999",
    }
    refused = client.post(url, data=data)
    assert refused.status_code == 400
    assert "Choose a date within two years from today." in refused.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SharedDecision)) == 0
    in_a_year = (today + dt.timedelta(days=365)).isoformat()
    assert client.post(url, data=data | {"review_on": in_a_year}).status_code == 302


def test_the_form_shows_the_goals_the_patient_wrote(client: FlaskClient, app: Flask) -> None:
    """The record is written with the patient: their goals are beside "what matters most to
    the patient", not a page away on the pre-session view. Followed from the patient's goals
    page to the therapist's form."""
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    _invitation, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "goals"})
    page = client.get("/p/goals?lang=en").get_data(as_text=True)
    nonce = re.search(r'name="new-form_nonce" type="hidden" value="([^"]+)"', page)
    assert nonce is not None
    added = client.post(
        "/p/goals",
        data={
            "new-csrf_token": patient.csrf,
            "csrf_token": patient.csrf,
            "new-form_nonce": nonce.group(1),
            "action": "add",
            "new-text": "Klare å sove gjennom natta",
        },
    )
    assert added.status_code == 302

    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    form = therapist.get(f"/clinician/episodes/{world.episode_id}/decisions/new?lang=en")
    html = form.get_data(as_text=True)
    start = html.index('id="patient-wants"')
    wants = html[start : html.index("</section>", start)]
    assert "Klare å sove gjennom natta" in wants
