"""The answer page keeps each item's radio buttons per process (web/patient/answer_choices.py):
each patient still sees their own saved answers, and what is kept stays bounded."""

from __future__ import annotations

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.web.patient import answer_choices
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation

FIRST_PAGE = {f"phq9_{i}": "1" for i in range(1, 6)}


def test_two_patients_on_the_same_page_each_see_their_own_saved_answers(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    pages = {}
    for code in ("3", "0"):
        _invitation_id, token = open_invitation(db, world)
        patient = Patient(client, token)
        patient.start()
        assert patient.answer_page(1, {**FIRST_PAGE, "phq9_2": code}).status_code == 302
        pages[code] = client.get("/p/answer/1?lang=en").get_data(as_text=True)
    assert 'checked id="phq9_2-3"' in pages["3"] and 'checked id="phq9_2-0"' not in pages["3"]
    assert 'checked id="phq9_2-0"' in pages["0"] and 'checked id="phq9_2-3"' not in pages["0"]
    assert 'checked id="phq9_1-1"' in pages["0"]


def test_a_forged_value_posted_back_is_not_kept(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    forged = "<forged-value>"
    response = patient.post("/p/answer/1?lang=en", {**FIRST_PAGE, "phq9_4": forged})
    assert response.status_code == 422
    assert forged not in response.get_data(as_text=True)
    assert not any(key[-1] == forged for key in answer_choices._RENDERED)
    assert any(key[-1] == "1" for key in answer_choices._RENDERED)
