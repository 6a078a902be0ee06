"""The "My crisis plan" and "My standing choices" links lead somewhere from a closed link.

From a closed link the choices page offered both, and both answered 410 "You have already
answered this questionnaire". Now they lead to the code step (the rule is unchanged: an open
link, or a patient who has just proved who they are), which says why a code is needed and then
opens the page asked for; what the patient writes there reaches the therapist.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import CrisisPlanVersion, StandingChoiceEvent
from fit_platform.domain.codes import InvitationState
from fit_platform.services import one_time_codes
from tests.support.factories import PASSWORD, World, make_invitation, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, now, open_invitation

PLAN = {
    "warning_signs": "I stop sleeping",
    "what_helps": "A walk with my sister",
    "who_to_call": "Kari 900 00 000",
    "staff_should": "Speak calmly",
    "staff_should_not": "",
}


def _answered_link(app: Flask, db: Database, world: World) -> str:
    _invitation_id, token = open_invitation(db, world)
    browser = app.test_client()
    answered = Patient(browser, token)
    # While the link is open both pages open at once, with no word of a code.
    answered.post(f"/p/{token}", {"action": "choices"})
    assert "we first send you a code" not in browser.get("/p/choices?lang=en").get_data(
        as_text=True
    )
    assert browser.get("/p/my-crisis-plan").status_code == 200
    assert browser.get("/p/my-standing-choices").status_code == 200
    answered.start()
    answered.answer_all("phq9", "1", phq9_9="0")
    assert answered.finish().status_code == 302
    return token


def _withdrawn_link(db: Database, world: World) -> str:
    _invitation, token = make_invitation(
        db,
        world,
        due_at=now() - dt.timedelta(hours=1),
        state=InvitationState.CANCELLED,
    )
    return token


def _via_choices(client: FlaskClient, token: str, lang: str) -> Patient:
    """Days later, in a browser with no grant: the closed link's page, then its choices."""
    patient = Patient(client, token, lang)
    closed = client.get(f"/p/{token}?lang={lang}")
    assert closed.status_code == 410 and 'value="choices"' in closed.get_data(as_text=True)
    assert patient.post(f"/p/{token}", {"action": "choices"}).headers["Location"] == "/p/choices"
    return patient


def _verify(db: Database, world: World, patient: Patient) -> str:
    patient.post("/p/progress", {"action": "send"})
    with db.transaction() as session:  # what the dispatcher does when it sends the message
        code = one_time_codes.mint_code(session, world.patient_id, now())
    verified = patient.post("/p/progress", {"action": "verify", "verify-code": code})
    assert verified.status_code == 302
    return str(verified.headers["Location"])


def _presession(app: Flask, world: World) -> str:
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    page = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    return page.get_data(as_text=True)


def test_my_crisis_plan_from_an_answered_link_goes_through_the_code_to_the_plan(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    token = _answered_link(app, db, world)
    client = app.test_client()
    patient = _via_choices(client, token, "nb")
    choices = client.get("/p/choices?lang=nb").get_data(as_text=True)
    assert 'href="/p/my-crisis-plan"' in choices
    assert "Privat: vi sender deg først en kode." in choices

    to_code = client.get("/p/my-crisis-plan")
    assert to_code.status_code == 302 and to_code.headers["Location"] == "/p/progress"
    step = client.get("/p/progress?lang=nb")
    assert step.status_code == 200
    page = step.get_data(as_text=True)
    assert "<h1>Min kriseplan</h1>" in page
    assert "Kriseplanen din er privat." in page  # why a code is needed
    assert "Du har allerede svart" not in page
    # Help in danger does not wait for the code.
    assert page.index('href="tel:113"') < page.index('name="verify-code"')
    assert "Vis kriseplanen min" in page
    for lang, heading in (("nn", "<h1>Kriseplanen min</h1>"), ("en", "<h1>My crisis plan</h1>")):
        assert heading in client.get(f"/p/progress?lang={lang}").get_data(as_text=True)

    assert _verify(db, world, patient) == "/p/my-crisis-plan"
    plan_page = client.get("/p/my-crisis-plan?lang=nb")
    assert plan_page.status_code == 200
    assert "Lagre kriseplanen min" in plan_page.get_data(as_text=True)
    assert patient.post("/p/my-crisis-plan", PLAN).status_code == 302
    assert "A walk with my sister" in _presession(app, world)


def test_my_standing_choices_from_a_withdrawn_link_go_through_the_code_to_the_choices(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    token = _withdrawn_link(db, world)
    client = app.test_client()
    patient = _via_choices(client, token, "en")
    closed = client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert "This questionnaire has been cancelled" in closed

    to_code = client.get("/p/my-standing-choices")
    assert to_code.status_code == 302 and to_code.headers["Location"] == "/p/progress"
    page = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "<h1>My standing choices</h1>" in page
    assert "Your standing choices are private." in page
    assert "Show my standing choices" in page
    assert "has been cancelled" not in page

    assert _verify(db, world, patient) == "/p/my-standing-choices"
    added = patient.post(
        "/p/my-standing-choices",
        {"action": "add", "new-kind": "ended_approach", "new-text": "I have ended ECT"},
    )
    assert added.status_code == 302
    assert "I have ended ECT" in client.get("/p/my-standing-choices?lang=en").get_data(as_text=True)
    assert "I have ended ECT" in _presession(app, world)


def test_without_the_code_a_closed_link_neither_shows_nor_changes_the_plan(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    token = _answered_link(app, db, world)
    client = app.test_client()
    patient = _via_choices(client, token, "en")
    for path, data in (
        ("/p/my-crisis-plan", PLAN),
        ("/p/my-standing-choices", {"action": "add", "new-kind": "medication_free"}),
    ):
        posted = patient.post(path, data)
        assert posted.status_code == 302 and posted.headers["Location"] == "/p/progress"
        shown = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "Save my crisis plan" not in shown and "In your own words" not in shown
    wrong = patient.post("/p/progress", {"action": "verify", "verify-code": "000000"})
    assert wrong.status_code == 422
    assert client.get("/p/my-crisis-plan").status_code == 302
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CrisisPlanVersion)) == 0
        assert session.scalar(select(func.count()).select_from(StandingChoiceEvent)) == 0


def test_earlier_versions_from_a_closed_link_stay_private_until_the_code(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    first = Patient(app.test_client(), token)
    first.post(f"/p/{token}", {"action": "choices"})
    first.post("/p/my-crisis-plan", PLAN)
    first.post("/p/my-crisis-plan", PLAN | {"what_helps": "Music"})
    first.start()
    first.answer_all("phq9", "1", phq9_9="0")
    assert first.finish().status_code == 302
    with db.session() as session:
        oldest = session.scalar(select(func.min(CrisisPlanVersion.id)))

    client = app.test_client()
    patient = _via_choices(client, token, "en")
    listed = client.get("/p/my-crisis-plan/versions")
    assert listed.status_code == 302 and listed.headers["Location"] == "/p/progress"
    restore = patient.post(f"/p/my-crisis-plan/versions/{oldest}/restore")
    assert restore.status_code == 302 and restore.headers["Location"] == "/p/progress"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CrisisPlanVersion)) == 2

    assert _verify(db, world, patient) == "/p/my-crisis-plan"
    versions = client.get("/p/my-crisis-plan/versions?lang=en").get_data(as_text=True)
    assert "A walk with my sister" in versions and "Music" in versions
