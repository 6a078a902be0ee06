"""A samvalg decision with a date to look at it again: the patient is told "You will look at
this again around <date>", and when that day comes the therapist's pre-session view marks the
decision due, and the caseload marks the patient, until a later decision is recorded
(domain/samvalg_review.py)."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import OSLO, Clock

DUE = "due: look at it again with the patient"
ON_CASELOAD = "Samvalg decision to look at again (from 21/12/2026)"
MONDAY_MORNING = dt.datetime(2026, 12, 7, 9, 0, tzinfo=OSLO).astimezone(dt.UTC)


def _record(client: FlaskClient, episode_id: int, decision: str, review_on: dt.date | None) -> None:
    url = f"/clinician/episodes/{episode_id}/decisions/new"
    form = client.get(url + "?lang=en").get_data(as_text=True)
    saved = client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "options_discussed": "Keep going, or add a group",
            "decision": decision,
            "review_on": review_on.isoformat() if review_on else "",
            "visible_to_patient": "y",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)


def test_a_decision_is_marked_due_on_its_review_day_until_the_next_one_is_recorded(
    app: Flask, client: FlaskClient
) -> None:
    clock = Clock(MONDAY_MORNING)
    app.extensions["fit_clock"] = clock
    world = make_world(app.extensions["fit_db"])
    log_in(client, world.therapist_username, PASSWORD)
    view = f"/clinician/episodes/{world.episode_id}?lang=en"
    in_two_weeks = dt.date(2026, 12, 21)
    _record(client, world.episode_id, "Weekly sessions for two weeks", in_two_weeks)
    assert DUE not in client.get(view).get_data(as_text=True)

    caseload = "/clinician/?lang=en"
    due_only = "/clinician/?lang=en&show=review"
    clock.advance(days=13)  # Sunday the 20th: not yet
    assert DUE not in client.get(view).get_data(as_text=True)
    assert ON_CASELOAD not in client.get(caseload).get_data(as_text=True)
    clock.advance(days=1)  # the review day
    log_in(client, world.therapist_username, PASSWORD)  # the session ran out meanwhile
    assert DUE in client.get(view).get_data(as_text=True)
    page = client.get(caseload).get_data(as_text=True)
    assert ON_CASELOAD in page
    assert f'/clinician/episodes/{world.episode_id}#decisions"' in page
    assert "Read the decision" in client.get(due_only).get_data(as_text=True)
    clock.advance(days=3)  # still due until they look at it again
    log_in(client, world.therapist_username, PASSWORD)
    assert DUE in client.get(view).get_data(as_text=True)
    assert ON_CASELOAD in client.get(caseload).get_data(as_text=True)

    _record(client, world.episode_id, "Go on with weekly sessions", None)
    assert DUE not in client.get(view).get_data(as_text=True)
    assert ON_CASELOAD not in client.get(caseload).get_data(as_text=True)
    assert "No patients match." in client.get(due_only).get_data(as_text=True)


def test_a_review_set_for_the_same_day_is_due_that_day(app: Flask, client: FlaskClient) -> None:
    """The form accepts today as the review date; such a decision met its own review and was
    never marked due (a walk: "Samvalg review due" listed nobody)."""
    app.extensions["fit_clock"] = Clock(MONDAY_MORNING)
    world = make_world(app.extensions["fit_db"])
    log_in(client, world.therapist_username, PASSWORD)
    _record(client, world.episode_id, "Talk again after the group today", dt.date(2026, 12, 7))
    assert DUE in client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(
        as_text=True
    )
    assert "Read the decision" in client.get("/clinician/?lang=en&show=review").get_data(
        as_text=True
    )
