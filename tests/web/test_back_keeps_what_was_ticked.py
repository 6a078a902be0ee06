""" "Back" on a questionnaire page keeps what the patient ticked there.

It was a link to the page before: a patient who ticked questions 6–9, went back to check an
answer on page 1 and saved it found page 2 empty again, with only a grey line saying answers are
saved "each time you go on". It is now a button that saves the page and goes back, never
refused: a page answered in part is saved in part (resuming comes back to it), and a risk
answer ticked there still shows the help page first."""

from __future__ import annotations

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation, saved_answers

FIRST_PAGE = {f"phq9_{i}": "1" for i in range(1, 6)}


def _on_page_two(app: Flask, db: Database) -> tuple[Patient, int]:
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302
    assert patient.answer_page(1, FIRST_PAGE).headers["Location"].endswith("/p/answer/2")
    page_two = patient.client.get("/p/answer/2?lang=en").get_data(as_text=True)
    assert 'name="action" value="back"' in page_two
    return patient, invitation_id


def _back(patient: Patient, ticked: dict[str, str]) -> str:
    went = patient.post("/p/answer/2", {**ticked, "action": "back"})
    assert went.status_code == 302
    return str(went.headers["Location"])


def test_a_page_answered_in_full_is_saved_on_the_way_back(app: Flask, db: Database) -> None:
    patient, invitation_id = _on_page_two(app, db)
    ticked = {"phq9_6": "2", "phq9_7": "1", "phq9_8": "3", "phq9_9": "0"}  # 10 is optional
    assert _back(patient, ticked).endswith("/p/answer/1")
    saved = saved_answers(db, invitation_id)
    assert {k: saved[k][0] for k in ticked} == {"phq9_6": 2, "phq9_7": 1, "phq9_8": 3, "phq9_9": 0}
    page_two = patient.client.get("/p/answer/2?lang=en").get_data(as_text=True)
    assert page_two.count("<input checked") == 4


def test_a_page_answered_in_part_keeps_its_answers_and_is_asked_for_again(
    app: Flask, db: Database
) -> None:
    patient, invitation_id = _on_page_two(app, db)
    assert _back(patient, {"phq9_6": "2", "phq9_7": "1"}).endswith("/p/answer/1")
    saved = saved_answers(db, invitation_id)
    assert {k: v for k, (v, _at) in saved.items() if k.startswith(("phq9_6", "phq9_7"))} == {
        "phq9_6": 2,
        "phq9_7": 1,
    }
    assert not {"phq9_8", "phq9_9", "phq9_10"} & set(saved)  # not saved as "not answered"
    # Going on from page 1 leads back to page 2, with the two answers ticked, not to sending.
    again = patient.answer_page(1, FIRST_PAGE)
    assert again.headers["Location"].endswith("/p/answer/2")
    assert (
        patient.client.get("/p/answer/2?lang=en").get_data(as_text=True).count("<input checked")
        == 2
    )
    assert patient.client.get("/p/finish?lang=en").status_code == 302  # page 2 is still to do


def test_nothing_ticked_goes_back_and_saves_nothing(app: Flask, db: Database) -> None:
    patient, invitation_id = _on_page_two(app, db)
    before = saved_answers(db, invitation_id)
    assert _back(patient, {}).endswith("/p/answer/1")
    assert saved_answers(db, invitation_id) == before


def test_a_risk_answer_ticked_before_going_back_shows_the_help_first(
    app: Flask, db: Database
) -> None:
    patient, _invitation_id = _on_page_two(app, db)
    assert "/p/help" in _back(patient, {"phq9_9": "2"})


def test_a_page_without_a_risk_question_is_saved_in_part_on_the_one_statement_path_too(
    app: Flask, db: Database
) -> None:
    """The GAD-7's second page has no risk question: on PostgreSQL it takes the guarded save,
    which must write the part as the locked save does."""
    world = make_world(db)
    invitation_id, token = open_invitation(db, world, "gad7")
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302
    first = {f"gad7_{i}": "1" for i in range(1, 5)}
    assert patient.answer_page(1, first).headers["Location"].endswith("/p/answer/2")
    went = patient.post("/p/answer/2", {"gad7_6": "3", "action": "back"})
    assert went.headers["Location"].endswith("/p/answer/1")
    saved = saved_answers(db, invitation_id)
    assert {k: v for k, (v, _at) in saved.items()} == {**{k: 1 for k in first}, "gad7_6": 3}
    assert patient.answer_page(1, first).headers["Location"].endswith("/p/answer/2")
