"""On a 320 px phone an instrument's heading never breaks inside its short name ("(PHQ-" on one
line, "9)" on the next): the patient's questionnaire page and the therapist's pre-session view
keep the bracketed short name on one line, while the text stays "PHQ-9" for copy and search."""

from __future__ import annotations

from flask.testing import FlaskClient

from fit_platform.db import Database
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation

KEPT = '<span class="nowrap">(PHQ-9)</span>'


def test_the_short_name_in_a_heading_is_kept_on_one_line(client: FlaskClient) -> None:
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token, lang="nb")
    assert patient.start().status_code == 302
    page = client.get("/p/answer/1?lang=nb").get_data(as_text=True)
    assert f'<h1 lang="nb">Pasientens helsespørreskjema {KEPT}</h1>' in page
    assert "Pasienten sitt helsespørjeskjema " + KEPT in client.get("/p/answer/1?lang=nn").get_data(
        as_text=True
    )
    patient.answer_all("phq9")
    assert patient.finish().status_code == 302

    therapist = client.application.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    view = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=nb").get_data(as_text=True)
    assert KEPT in view
    assert "(PHQ-9)" in view.replace(KEPT, "")  # elsewhere as plain text, not changed
