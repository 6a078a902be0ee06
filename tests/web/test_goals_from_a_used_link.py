"""Goals can be changed at any time, as the goals page says: also from a link already answered.

A used link's page offers "Your goals for treatment"; it goes through the same code step as
"See your progress" (anyone holding the link must not read or change the goals), and the code
leads to the goals page, where a new goal reaches the therapist.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import OutboxMessage
from fit_platform.domain.codes import MessageKind
from fit_platform.services import one_time_codes
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, now, open_invitation


def test_a_patient_changes_their_goals_from_a_used_link_after_the_code_step(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    answered = Patient(app.test_client(), token)
    answered.start()
    answered.answer_all("phq9")
    assert answered.finish().status_code == 302

    # Days later, in a browser with no grant: the used link's page.
    client = app.test_client()
    patient = Patient(client, token)
    used = client.get(f"/p/{token}?lang=en")
    assert used.status_code == 410
    assert 'value="goals"' in used.get_data(as_text=True)
    assert patient.post(f"/p/{token}", {"action": "goals"}).headers["Location"] == "/p/goals"
    to_code = client.get("/p/goals")
    assert to_code.status_code == 302 and to_code.headers["Location"] == "/p/progress"
    code_page = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "<h1>Your goals for treatment</h1>" in code_page
    assert "Show my goals" in code_page
    assert "already answered" not in code_page

    patient.post("/p/progress", {"action": "send"})
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.kind is MessageKind.ONE_TIME_CODE
    with db.transaction() as session:  # what the dispatcher does when it sends the message
        code = one_time_codes.mint_code(session, world.patient_id, now())
    verified = patient.post("/p/progress", {"action": "verify", "verify-code": code})
    assert verified.headers["Location"] == "/p/goals"

    goals = client.get("/p/goals?lang=en")
    assert goals.status_code == 200 and "Add a goal" in goals.get_data(as_text=True)
    # A way back other than the browser's: the link has closed, so to the progress page.
    assert '<a href="/p/progress">Back to your progress</a>' in goals.get_data(as_text=True)
    assert "Back to the questionnaire" not in goals.get_data(as_text=True)
    saved = patient.post("/p/goals", {"action": "add", "new-text": "Walk every morning"})
    assert saved.status_code == 302
    # The progress page the code also opens leads back to the goals.
    assert 'href="/p/goals"' in client.get("/p/progress?lang=en").get_data(as_text=True)

    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    presession = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert "Walk every morning" in presession.get_data(as_text=True)


def test_without_the_code_a_used_link_neither_shows_nor_changes_the_goals(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    answered = Patient(app.test_client(), token)
    answered.start()
    answered.answer_all("phq9")
    answered.finish()

    client = app.test_client()
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "goals"})
    posted = patient.post("/p/goals", {"action": "add", "new-text": "Someone else's goal"})
    assert posted.status_code == 302 and posted.headers["Location"] == "/p/progress"
    assert "Add a goal" not in client.get("/p/goals", follow_redirects=True).get_data(as_text=True)
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    presession = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert "Someone else" not in presession.get_data(as_text=True)
