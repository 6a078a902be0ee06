"""What a patient chooses on the choices page is visible where the therapist acts on it.

"Ask for fewer questionnaires" promises "Your therapist sees your wish and agrees a new plan
with you": the episode's questionnaire plan, where that new plan is made, says so. A pause or
a stop cancels the open questionnaires: the appointments page says the patient's choice
cancelled them, not a bare "cancelled" that reads as the clinic's own doing. A samvalg record
the patient may read reaches their progress page whole.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _therapist_page(app: Flask, world: World, page: str) -> str:
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    response = therapist.get(f"/clinician/episodes/{world.episode_id}/{page}?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _patient_on_choices(app: Flask, client: FlaskClient, world: World) -> Patient:
    _invitation_id, token = open_invitation(_db(app), world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    return patient


def _patient_chooses(app: Flask, client: FlaskClient, world: World, action: str) -> None:
    """The patient opens a new link, goes to the choices and pauses (for ten days), restarts
    or stops."""
    fields = {"action": action}
    if action == "pause":
        fields["pause-until"] = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    patient = _patient_on_choices(app, client, world)
    assert patient.post("/p/choices", fields).status_code == 302


def _therapist_records_decision(app: Flask, world: World, **fields: str) -> str:
    """The therapist saves a samvalg record through its form; returns the form's page."""
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = therapist.get(f"{url}?lang=en").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(form),
        "options_discussed": "A group on Tuesdays, or keep weekly sessions",
        "what_matters": "Meeting others",
        "decision": "Try the group for six weeks",
        **fields,
    }
    assert therapist.post(url, data=data).status_code == 302
    return form


def test_a_wish_for_fewer_questionnaires_is_on_the_plan_the_therapist_changes(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world(_db(app))
    assert "asked for fewer questionnaires" not in _therapist_page(app, world, "schedule")
    patient = _patient_on_choices(app, client, world)
    page = client.get("/p/choices/fewer?lang=en").get_data(as_text=True)
    assert "Your therapist sees your wish and agrees a new plan with you." in page
    response = patient.post("/p/choices", {"action": "fewer", "fewer-reason": "Every other week"})
    assert response.status_code == 302

    plan = _therapist_page(app, world, "schedule")
    assert "The patient asked for fewer questionnaires on" in plan
    assert '<q class="free-text" dir="auto">Every other week</q>' in plan


def test_a_wish_for_fewer_questionnaires_without_words_still_reaches_the_plan(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world(_db(app))
    patient = _patient_on_choices(app, client, world)
    assert patient.post("/p/choices", {"action": "fewer"}).status_code == 302
    plan = _therapist_page(app, world, "schedule")
    assert "The patient asked for fewer questionnaires on" in plan


def test_questionnaires_cancelled_by_the_patients_pause_or_stop_say_so_to_the_therapist(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world(_db(app))
    _patient_chooses(app, client, world, "pause")
    page = _therapist_page(app, world, "appointments")
    assert "Cancelled: the patient paused questionnaires" in page

    _patient_chooses(app, client, world, "restart")
    _patient_chooses(app, client, world, "stop")
    page = _therapist_page(app, world, "appointments")
    assert "Cancelled: the patient stopped questionnaires" in page


def test_a_samvalg_record_the_patient_may_read_shows_them_the_options_discussed(
    app: Flask, client: FlaskClient
) -> None:
    """The decision form says "The patient can read this record unless you untick the box";
    the patient's progress page showed the decision and what matters to them, but not the
    options discussed, which is what makes it a shared decision."""
    db = _db(app)
    world = make_world(db)
    form = _therapist_records_decision(app, world, visible_to_patient="y")
    assert "The patient can read it unless you untick the box." in form

    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302
    progress = client.get("/p/progress?lang=en").get_data(as_text=True)
    decided = progress[progress.index("What you and your therapist decided") :]
    assert "Try the group for six weeks" in decided and "Meeting others" in decided
    assert "A group on Tuesdays, or keep weekly sessions" in decided


def test_a_pause_or_a_stop_is_said_above_the_plan_and_in_the_journal_summary(
    app: Flask, client: FlaskClient
) -> None:
    """The plan's rules stay "In use" while the patient has paused or stopped (they send
    nothing, services/consent.py): the schedule page said nothing of it, so a therapist could
    read a plan that sends weekly, and the journal summary did not give the consent at all."""
    world = make_world(_db(app))
    assert "consent-hold" not in _therapist_page(app, world, "schedule")
    assert "<dt>Feedback consent</dt><dd>Gives feedback</dd>" in _therapist_page(
        app, world, "summary"
    )
    _patient_chooses(app, client, world, "pause")
    plan = _therapist_page(app, world, "schedule")
    assert "The patient has paused feedback: nothing is sent to and including" in plan
    summary = _therapist_page(app, world, "summary")
    text = summary[summary.index('id="plain-text"') :]
    assert "<dt>Feedback consent</dt><dd>Feedback paused to and including" in summary
    assert "Feedback consent: Feedback paused to and including" in text

    _patient_chooses(app, client, world, "restart")
    _patient_chooses(app, client, world, "stop")
    plan = _therapist_page(app, world, "schedule")
    assert "The patient has stopped feedback: nothing is sent." in plan
    assert "Feedback consent: Stopped feedback." in _therapist_page(app, world, "summary")


def test_the_journal_summary_gives_the_options_and_what_matters_not_the_decision_alone(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world(_db(app))
    form = _therapist_records_decision(app, world)
    # The one optional box says so, as the platform's other forms do ("Samvalg" had no mark).
    assert ">What matters most to the patient (optional)</label>" in form
    assert ">Options we discussed</label>" in form and ">What we decided</label>" in form
    summary = _therapist_page(app, world, "summary")
    decisions = summary[summary.index("<h2>Samvalg decisions</h2>") : summary.index("<h2>What")]
    for words in ("Try the group for six weeks", "A group on Tuesdays, or keep weekly sessions"):
        assert words in decisions
    assert "What matters most to the patient: " in decisions and "Meeting others" in decisions
    text = summary[summary.index('id="plain-text"') :]
    assert ": Try the group for six weeks\n  Options we discussed: A group on Tuesdays" in text
    assert "\n  What matters most to the patient: Meeting others\n" in text
