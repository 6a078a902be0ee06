"""An optional question answered by mistake can be left unanswered again, without a script.

A ticked radio button cannot be unticked without JavaScript, so a patient who tapped an answer
to the PHQ-9's optional tenth question was stuck with it (found in a review of the demo as a
patient at 320 px). An optional question now ends with "Skip this question", which saves it as
not answered; a required one has no such choice."""

from __future__ import annotations

import html

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation, saved_answers

PAGE_TWO = {f"phq9_{n}": "0" for n in range(6, 10)}


def test_a_mistaken_answer_to_an_optional_question_can_be_taken_back(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token, lang="nn")
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "0" for n in range(1, 6)})
    page = html.unescape(patient.client.get("/p/answer/2?lang=nn").get_data(as_text=True))
    assert page.count("Hopp over spørsmålet") == 1  # question 10 only: 6 to 9 are required
    assert 'id="phq9_10-skip" name="phq9_10" type="radio" value=""' in page

    assert patient.answer_page(2, PAGE_TWO | {"phq9_10": "2"}).status_code == 302
    assert saved_answers(db, invitation_id)["phq9_10"][0] == 2
    # Back on the page, the mistake is taken back with the last choice.
    assert patient.answer_page(2, PAGE_TWO | {"phq9_10": ""}).status_code == 302
    assert saved_answers(db, invitation_id)["phq9_10"][0] is None
    check = html.unescape(patient.client.get("/p/finish?lang=en").get_data(as_text=True))
    assert "Not answered" in check
    english = patient.client.get("/p/answer/2?lang=en").get_data(as_text=True)
    assert "Skip this question" in english and "Hopp over" not in english
    assert patient.finish().status_code == 302
