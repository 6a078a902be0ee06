"""The patient's own plan, followed from the patient's link pages to what staff see: the crisis
plan shown with the emergency numbers after a risk answer, at the top of the pre-session view
and in the journal summary; standing choices that hold (and stop holding) at once."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from fit_platform.db import Database
from fit_platform.db.append_only import AppendOnlyViolation
from fit_platform.db.models import AccessLog, CrisisPlanVersion, StandingChoiceEvent
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation

PLAN = {
    "warning_signs": "I stop sleeping and stay in my room",
    "what_helps": "A walk with my sister <Kari>",
    "who_to_call": "Kari 900 00 000",
    "staff_should": "Speak calmly",
    "staff_should_not": "Do not touch me without asking",
}


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _open(client: FlaskClient, db: Database, world: World) -> Patient:
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    return patient


def _adds_a_choice(patient: Patient, db: Database) -> int:
    """The patient records "a medication-free option" in her words; its choice id."""
    patient.post(
        "/p/my-standing-choices",
        {"action": "add", "new-kind": "medication_free", "new-text": "Before any new pills"},
    )
    with db.session() as session:
        choice_id = session.scalar(select(StandingChoiceEvent.id))
    assert choice_id is not None
    return int(choice_id)


def _a_patient_with_a_choice(
    app: Flask, client: FlaskClient
) -> tuple[Database, World, Patient, int]:
    """A patient on her link pages with one choice recorded (`_adds_a_choice`)."""
    db = _db(app)
    world = make_world(db)
    patient = _open(client, db, world)
    return db, world, patient, _adds_a_choice(patient, db)


def _changes(patient: Patient, choice_id: int, words: str) -> None:
    patient.post(
        "/p/my-standing-choices",
        {"action": "change", "choice": choice_id, f"choice{choice_id}-text": words},
    )


def _staff(app: Flask, username: str) -> FlaskClient:
    staff = app.test_client()
    log_in(staff, username, PASSWORD)
    return staff


def _actions(db: Database, patient_id: int) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AccessLog.action)
                .where(AccessLog.patient_id == patient_id)
                .order_by(AccessLog.id)
            )
        )


def test_a_risk_answer_shows_the_patients_own_plan_together_with_113_and_116_117(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _open(client, db, world)
    choices = client.get("/p/choices?lang=en").get_data(as_text=True)
    assert 'href="/p/my-crisis-plan"' in choices
    assert patient.post("/p/my-crisis-plan", PLAN).status_code == 302

    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    saved = patient.answer_page(2, {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "2"})
    assert saved.headers["Location"].startswith("/p/help")
    help_page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'href="tel:113"' in help_page and 'href="tel:116117"' in help_page
    assert "Your own crisis plan" in help_page
    assert "A walk with my sister &lt;Kari&gt;" in help_page
    assert "Do not touch me without asking" in help_page
    # The numbers come first: the plan is beside them, never instead of them.
    assert help_page.index('href="tel:113"') < help_page.index("Your own crisis plan")

    assert patient.finish().status_code == 302
    done = client.get("/p/done?lang=en").get_data(as_text=True)
    assert 'href="tel:113"' in done and "Kari 900 00 000" in done


def test_the_help_page_without_a_plan_shows_the_numbers_and_no_empty_plan(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _open(client, db, world)
    patient.start()
    help_page = client.get("/p/help?lang=en").get_data(as_text=True)
    assert 'href="tel:113"' in help_page and 'href="tel:116117"' in help_page
    assert "Your own crisis plan" not in help_page


def test_every_saved_version_is_kept_and_the_database_refuses_to_change_one(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _open(client, db, world)
    patient.post("/p/my-crisis-plan", PLAN)
    patient.post("/p/my-crisis-plan", PLAN)  # same words again: no new version
    patient.post("/p/my-crisis-plan", PLAN | {"what_helps": "Music"})
    page = client.get("/p/my-crisis-plan?lang=en").get_data(as_text=True)
    assert "Music</textarea>" in page
    with db.session() as session:
        texts = session.scalars(
            select(CrisisPlanVersion.what_helps).order_by(CrisisPlanVersion.id)
        ).all()
    assert texts == ["A walk with my sister <Kari>", "Music"]
    with pytest.raises(AppendOnlyViolation), db.transaction() as session:
        version = session.scalars(select(CrisisPlanVersion)).first()
        assert version is not None
        version.what_helps = "rewritten"
    with pytest.raises(DBAPIError), db.transaction() as session:
        session.execute(update(CrisisPlanVersion).values(what_helps="rewritten"))
    patient.post("/p/my-standing-choices", {"action": "add", "new-kind": "medication_free"})
    with pytest.raises(DBAPIError), db.transaction() as session:
        session.execute(text("DELETE FROM standing_choice_event"))


def test_a_plan_part_too_long_keeps_what_was_typed_and_says_how_much_to_cut(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _open(client, db, world)
    patient.post("/p/my-crisis-plan", PLAN)
    # No `maxlength` on the plan's or the standing choices' boxes: the browser cut a pasted
    # text at 1000 characters and the page said "saved" (the class that leaves it off had a
    # copy here without that line).
    for page in ("/p/my-crisis-plan", "/p/my-standing-choices"):
        html = client.get(f"{page}?lang=en").get_data(as_text=True)
        assert "<textarea" in html and "maxlength" not in html, page
    response = patient.post(
        "/p/my-crisis-plan?lang=en", PLAN | {"what_helps": "x" * 1001, "who_to_call": "Ola"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Write at most 1000 characters (you wrote 1001)." in html
    assert 'id="error-summary"' in html
    assert "Ola</textarea>" in html  # nothing typed is lost
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CrisisPlanVersion)) == 1


def test_the_own_therapist_reads_plan_and_choices_first_and_each_read_is_logged(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _open(client, db, world)
    patient.post("/p/my-crisis-plan", PLAN)
    patient.post(
        "/p/my-standing-choices",
        {"action": "add", "new-kind": "ended_approach", "new-text": "I have ended ECT"},
    )
    therapist = _staff(app, world.therapist_username)
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert html.index('id="own-plan"') < html.index('id="goals-heading"')
    assert html.index('id="own-plan"') < html.index('id="signals"')
    assert "I have ended ECT" in html and "Recorded by the patient" in html
    assert "Do not touch me without asking" in html
    assert _actions(db, world.patient_id) == ["presession_view", "own_plan_view"]

    summary = therapist.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en")
    page = summary.get_data(as_text=True)
    plain = page[page.index('id="plain-text"') :]
    assert "I have ended ECT" in plain and "Speak calmly" in plain
    assert page.count("I have ended ECT") == 2  # the page and its plain-text block
    assert _actions(db, world.patient_id)[-2:] == ["journal_summary", "own_plan_view"]


def test_a_therapist_who_is_not_the_patients_own_sees_nothing_of_the_plan(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    stranger = make_staff(db, (Role.THERAPIST, world.unit_id))
    patient = _open(client, db, world)
    patient.post("/p/my-crisis-plan", PLAN)
    other = _staff(app, stranger.username)
    assert other.get(f"/clinician/episodes/{world.episode_id}").status_code == 404
    assert other.get(f"/clinician/episodes/{world.episode_id}/summary").status_code == 404
    token = other.get("/staff/account").get_data(as_text=True)
    from tests.support.html import csrf_token

    refused = other.post(
        f"/clinician/episodes/{world.episode_id}/standing-choices",
        data={
            "csrf_token": csrf_token(token),
            "action": "add",
            "own-choice-kind": "other",
            "own-choice-text": "forged",
            "own-choice-with_patient": "y",
        },
    )
    assert refused.status_code == 404
    assert _actions(db, world.patient_id) == []


def test_a_choice_withdrawn_by_the_patient_stops_holding_everywhere_at_once(
    app: Flask, client: FlaskClient
) -> None:
    db, world, patient, choice_id = _a_patient_with_a_choice(app, client)
    _changes(patient, choice_id, "Talk first")
    therapist = _staff(app, world.therapist_username)
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    in_force, earlier = html.split('class="earlier-words"', 1)
    assert "Talk first" in in_force and "Before any new pills" not in in_force
    assert "Before any new pills" in earlier.split("</details>")[0]
    assert "first recorded" in html

    withdrawn = patient.post("/p/my-standing-choices", {"action": "withdraw", "choice": choice_id})
    assert withdrawn.status_code == 302
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "No standing choices." in html
    # No longer holding, but not gone: the patient was told her history is kept (a review
    # found withdrawn choices vanished from every page).
    held, gone = html.split('class="withdrawn-choices"', 1)
    assert "Talk first" not in held
    assert "1 withdrawn choice</summary>" in gone and "Talk first" in gone.split("</details>")[0]
    assert "Withdrawn by the patient" in gone
    own = client.get("/p/my-standing-choices?lang=en").get_data(as_text=True)
    assert "You have no standing choices now." in own
    assert "1 choice you have withdrawn</summary>" in own and "Withdrawn by you on" in own
    assert "Talk first" in own
    with db.session() as session:
        events = session.scalars(
            select(StandingChoiceEvent.event).order_by(StandingChoiceEvent.id)
        ).all()
    assert [e.value for e in events] == ["recorded", "changed", "withdrawn"]
    # Withdrawing again, or someone else's choice id, is not found (nothing written).
    assert (
        patient.post(
            "/p/my-standing-choices", {"action": "withdraw", "choice": choice_id}
        ).status_code
        == 404
    )


def test_the_therapist_records_and_withdraws_a_choice_with_the_patient_recorded_as_such(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    therapist = _staff(app, world.therapist_username)
    page = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    from tests.support.html import csrf_token

    token = csrf_token(page)
    url = f"/clinician/episodes/{world.episode_id}/standing-choices"
    data = {
        "csrf_token": token,
        "action": "add",
        "own-choice-kind": "contact_person",
        "own-choice-text": "Do not call my father",
    }
    without_patient = therapist.post(url, data=data, follow_redirects=True)
    assert "Record a choice only together with the patient." in without_patient.get_data(
        as_text=True
    )
    therapist.post(url, data=data | {"own-choice-with_patient": "y"})
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "Do not call my father" in html
    assert "with the patient" in html
    patient = _open(client, db, world)
    mine = client.get("/p/my-standing-choices?lang=en").get_data(as_text=True)
    assert "Do not call my father" in mine and "Recorded with your therapist" in mine

    with db.session() as session:
        row = session.scalars(select(StandingChoiceEvent)).one()
    assert row.recorded_by.value == "therapist_with_patient"
    assert row.staff_id == world.therapist_id
    therapist.post(
        url,
        data={
            "csrf_token": token,
            "action": "withdraw",
            "choice": row.id,
            f"own-withdraw{row.id}-with_patient": "y",
        },
    )
    own = client.get("/p/my-standing-choices?lang=en").get_data(as_text=True)
    held, gone = own.split('class="withdrawn-choices"', 1)
    assert "Do not call my father" not in held
    assert "Do not call my father" in gone and "Withdrawn with your therapist on" in gone
    assert patient is not None


def test_a_choice_that_needs_words_asks_for_them_and_saves_nothing(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _open(client, db, world)
    response = patient.post(
        "/p/my-standing-choices?lang=en", {"action": "add", "new-kind": "ended_approach"}
    )
    assert response.status_code == 422
    assert "Write in your own words what the choice is about." in response.get_data(as_text=True)
    forged = patient.post(
        "/p/my-standing-choices?lang=en", {"action": "add", "new-kind": "everything"}
    )
    assert forged.status_code == 422
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(StandingChoiceEvent)) == 0


def test_a_changed_choice_tells_the_patient_when_it_was_first_recorded(
    app: Flask, client: FlaskClient
) -> None:
    """Her page said only "Recorded by you on <the day of the change>" for a choice changed
    since (found in a review of the demo); the therapist's view said when it was first
    recorded."""
    db = _db(app)
    world = make_world(db)
    monday = dt.datetime.now(dt.UTC)
    app.extensions["fit_clock"] = lambda: monday
    patient = _open(client, db, world)
    choice_id = _adds_a_choice(patient, db)
    unchanged = client.get("/p/my-standing-choices?lang=en").get_data(as_text=True)
    assert "First recorded on" not in unchanged
    app.extensions["fit_clock"] = lambda: monday + dt.timedelta(days=1)
    patient.post(
        "/p/my-standing-choices",
        {"action": "change", "choice": choice_id, f"choice{choice_id}-text": "Talk first"},
    )
    changed = client.get("/p/my-standing-choices?lang=nn").get_data(as_text=True)
    assert "Først registrert" in changed


def test_a_changed_choice_shows_its_earlier_words_to_the_patient_and_the_therapist(
    app: Flask, client: FlaskClient
) -> None:
    """The earlier words of a changed choice were in the patient's download only."""
    _db, world, patient, choice_id = _a_patient_with_a_choice(app, client)
    for words in ("Talk first", "Ask me before any change"):
        _changes(patient, choice_id, words)
    own = client.get("/p/my-standing-choices?lang=en").get_data(as_text=True)
    therapist = _staff(app, world.therapist_username)
    view = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    for page, recorded in ((own, "Recorded by you on"), (view, "Recorded by the patient")):
        earlier = page.split('class="earlier-words"', 1)[1].split("</details>")[0]
        assert "Ask me before any change" in page and "Ask me before any change" not in earlier
        assert "2 earlier wordings</summary>" in earlier and earlier.count(recorded) == 2
        assert earlier.index("Talk first") < earlier.index("Before any new pills")


def test_without_a_plan_or_a_choice_the_patients_own_words_come_before_the_empty_plan(
    app: Flask, client: FlaskClient
) -> None:
    """The lines "No standing choices.", "The patient has not written a crisis plan." and the
    form to record a choice pushed the patient's wishes and words off a laptop's first
    screen."""
    db = _db(app)
    world = make_world(db)
    therapist = _staff(app, world.therapist_username)
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert html.index('id="goals-heading"') < html.index('id="own-words"')
    assert html.index('id="own-words"') < html.index('id="own-plan"') < html.index('id="signals"')
    assert "No standing choices." in html  # still there, with the form to record one
    assert "Record a standing choice together with the patient" in html
