"""The pre-session view says when the latest answers were given in a working translation.

The PHQ-9's bokmål and nynorsk texts are the project's own working wording, not validated
translations (docs/instruments.md), yet the panel showed severity bands and the cut-off with
no word of it: a therapist could read a score given on unvalidated wording as if validated.
The panel now says so when the latest answers were in such a language; answered in English
(the rights holder's own text) it says nothing.
"""

from __future__ import annotations

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation

NOTE_EN = "The latest answers were given in a working translation (bokmål), not a validated one"


def _answered_in(app: Flask, db: Database, lang: str) -> str:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token, lang=lang)
    assert patient.start().status_code == 302
    patient.answer_all("phq9", "1")
    assert patient.finish().status_code == 302
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    page = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    return page.get_data(as_text=True)


def test_answers_in_bokmal_are_marked_as_given_in_a_working_translation(
    app: Flask, db: Database
) -> None:
    page = _answered_in(app, db, "nb")
    panel = page.split('id="trend-phq9"', 1)[1].split("</section>", 1)[0]
    assert NOTE_EN in panel
    assert "the cut-offs and severity bands are the original questionnaire's" in panel


def test_answers_in_english_carry_no_such_note(app: Flask, db: Database) -> None:
    page = _answered_in(app, db, "en")
    assert "working translation (" not in page
