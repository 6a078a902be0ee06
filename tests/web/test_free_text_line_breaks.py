"""Free text keeps its line breaks from the person who wrote it to the person who reads it.

A goal or a topic written on two lines by the patient, and a samvalg record written on two
lines by the therapist, are shown in an element of the one class the style sheet keeps line
breaks for, with the text escaped as everywhere else.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation

GOAL = "Sleep through the night\nGo back to work <part-time>"
TOPIC = "The meeting with my manager\nand my sister"
WHAT_MATTERS = "Sleep\nwork"


def shown_with_its_line_breaks(page: str, text: str) -> bool:
    """Whether `text` (escaped, newline kept) is the whole content of a `.free-text` element."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    pattern = rf'<(\w+)[^>]*class="[^"]*\bfree-text\b[^"]*"[^>]*>{re.escape(escaped)}</\1>'
    return re.search(pattern, page) is not None


def therapist_client(app: Flask, world: World) -> FlaskClient:
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    return therapist


def test_the_style_sheet_keeps_line_breaks_for_free_text(client: FlaskClient) -> None:
    with client.get("/static/css/site.css") as response:
        css = response.get_data(as_text=True)
    assert re.search(r"\.free-text\s*\{[^}]*white-space:\s*pre-line", css)


def test_a_goal_and_a_topic_on_two_lines_reach_the_therapist_on_two_lines(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "goals"})
    goals_page = client.get("/p/goals?lang=en").get_data(as_text=True)
    nonce = re.search(r'name="new-form_nonce"[^>]*value="([^"]+)"', goals_page)
    assert nonce
    saved = patient.post(
        "/p/goals",
        {"action": "add", "new-text": GOAL.replace("\n", "\r\n"), "new-form_nonce": nonce[1]},
    )
    assert saved.status_code == 302
    patient.start()
    patient.answer_all("phq9")
    assert patient.finish(topic=TOPIC.replace("\n", "\r\n")).status_code == 302

    # The patient's own pages: the thank-you page's topic and the goal among their progress.
    thanks = client.get("/p/done?lang=en").get_data(as_text=True)
    assert shown_with_its_line_breaks(thanks, TOPIC)
    progress = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert shown_with_its_line_breaks(progress, GOAL)

    therapist = therapist_client(app, world)
    presession = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert shown_with_its_line_breaks(presession.get_data(as_text=True), GOAL)
    assert shown_with_its_line_breaks(presession.get_data(as_text=True), TOPIC)
    summary = therapist.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en")
    assert shown_with_its_line_breaks(summary.get_data(as_text=True), GOAL)
    assert shown_with_its_line_breaks(summary.get_data(as_text=True), TOPIC)


def test_what_matters_most_on_two_lines_reaches_the_patient_on_two_lines(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    therapist = therapist_client(app, world)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = therapist.get(f"{url}?lang=en").get_data(as_text=True)
    nonce = re.search(r'name="form_nonce"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="form_nonce"', form
    )
    assert nonce
    decided = therapist.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "form_nonce": nonce[1],
            "options_discussed": "A sleep course\nMore sessions",
            "what_matters": WHAT_MATTERS.replace("\n", "\r\n"),
            "decision": "A sleep course first",
            "visible_to_patient": "y",
        },
    )
    assert decided.status_code == 302
    presession = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert shown_with_its_line_breaks(presession.get_data(as_text=True), WHAT_MATTERS)

    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9")
    assert patient.finish().status_code == 302
    progress = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "What matters to you:" in progress
    assert shown_with_its_line_breaks(progress, WHAT_MATTERS)
    assert shown_with_its_line_breaks(progress, "A sleep course\nMore sessions")
