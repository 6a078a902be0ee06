"""A risk question left blank reaches the therapist as "risk not assessed".

The patient pages require every PHQ-9 item, so a patient cannot leave item 9 blank on the web;
the answering service takes blanks (it saves what a page holds), and so does any other way a
response comes in. Whatever the way in, the therapist is told that risk was not assessed.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Signal
from fit_platform.domain.codes import Language
from fit_platform.services import answering
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, now, open_invitation
from tests.support.scheduling import OSLO

FIRST_PAGE = {f"phq9_{i}": "2" for i in range(1, 6)}
SECOND_PAGE = {"phq9_6": "2", "phq9_7": "2", "phq9_8": "2", "phq9_9": "", "phq9_10": "1"}


def test_the_patient_page_asks_again_for_a_blank_risk_question(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_page(1, FIRST_PAGE)
    response = patient.post("/p/answer/2?lang=en", SECOND_PAGE)
    assert response.status_code == 422
    assert "Choose an answer to this question." in response.get_data(as_text=True)


def test_a_submitted_phq9_with_item_9_blank_shows_risk_not_assessed_to_the_therapist(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    invitation_id, _token = open_invitation(db, world)
    at = now()
    answering.save_page(db, invitation_id, 1, FIRST_PAGE, Language.ENGLISH, at)
    answering.save_page(db, invitation_id, 2, SECOND_PAGE, Language.ENGLISH, at)
    submitted = answering.submit(db, invitation_id, language=Language.ENGLISH, now=at, zone=OSLO)
    assert submitted.result.scorable is False
    with db.session() as session:
        codes = session.scalars(select(Signal.code)).all()
    assert codes == ["risk_not_assessed"]

    log_in(client, world.therapist_username, PASSWORD)
    html = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "Risk question not answered" in html
    assert "left the question about suicidal thoughts or self-harm blank" in html
    caseload = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert "Risk question not answered" in caseload
