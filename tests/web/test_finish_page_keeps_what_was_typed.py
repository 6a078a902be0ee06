"""What the patient types on the check-your-answers page survives going back to change an
answer, reaches the therapist when sent, and is nobody else's before that.

Found in a review of the demo as a patient: text typed in the two boxes ("What would you like
to talk about in your next session?", "Anything you want to add?") was gone after "Change"
next to an answer, a plain link, although the pages promise that answers are saved on the way
(services/finish_draft.py). Through the seam: the patient's link pages, the page saves, the
help page after a risk answer, the send, and the therapist's pre-session view."""

from __future__ import annotations

import datetime as dt
import html
import re

from flask import Flask
from sqlalchemy import func, select

from fit_platform.config import RetentionSettings
from fit_platform.db import Database
from fit_platform.db.models import FinishDraft, Invitation, Response
from fit_platform.domain.codes import Role
from fit_platform.services.reminders import expire_windows
from fit_platform.services.retention import apply_retention
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import download_patient_file, log_in
from tests.support.patient import Patient, open_invitation

TOPIC = "Sleep, and whether to try the group on Tuesdays"
COMMENT = "Question 9 was hard to answer – I am safe, but it has been a bad week."


def _at_the_check(app: Flask, db: Database) -> tuple[Patient, World]:
    """A patient who has answered every page of a PHQ-9 and is on the check page."""
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_all("phq9", "1")
    return patient, world


def _boxes(patient: Patient) -> str:
    return html.unescape(patient.client.get("/p/finish?lang=en").get_data(as_text=True))


def _drafts(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(FinishDraft)) or 0)


def test_typed_words_survive_a_change_and_a_risk_answer_and_reach_the_therapist(
    app: Flask, db: Database
) -> None:
    patient, world = _at_the_check(app, db)
    typed = {"topic": TOPIC, "comment": COMMENT}

    # "Change" next to question 3: to page 1, at the question, with the words kept.
    change = patient.post("/p/finish", typed | {"change": "1:phq9_3"})
    assert change.status_code == 302
    assert change.headers["Location"] == "/p/answer/1#phq9_3-group"
    back = patient.answer_page(1, {f"phq9_{n}": "2" for n in range(1, 6)})
    assert back.headers["Location"] == "/p/finish"
    check = _boxes(patient)
    assert TOPIC in check and COMMENT in check
    assert "More than half the days" in check  # the changed answer
    # The browser keeps "#phq9_3-group" through the save's redirect: it names that row here.
    assert 'class="summary-row" id="phq9_3-group"' in check

    # Question 9 changed to a risk answer: the help page comes first, then the check again.
    patient.post("/p/finish", typed | {"change": "2:phq9_9"})
    risk = patient.answer_page(2, {f"phq9_{n}": "1" for n in range(6, 11)} | {"phq9_9": "3"})
    assert risk.headers["Location"].startswith("/p/help")
    assert patient.client.get(risk.headers["Location"]).status_code == 200
    check = _boxes(patient)
    assert TOPIC in check and COMMENT in check

    # Before it is sent, the therapist reads none of it.
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    view_path = f"/clinician/episodes/{world.episode_id}?lang=en"
    assert TOPIC not in html.unescape(therapist.get(view_path).get_data(as_text=True))

    assert patient.finish(**typed).status_code == 302
    view = html.unescape(therapist.get(view_path).get_data(as_text=True))
    assert TOPIC in view and COMMENT in view
    assert _drafts(db) == 0, "sent: nothing is left waiting"


def test_a_change_button_naming_no_question_of_the_page_goes_to_a_page_never_an_error(
    app: Flask, db: Database
) -> None:
    patient, _world = _at_the_check(app, db)
    for value, location in (
        ("1:phq9_9", "/p/answer/1"),  # question 9 is on page 2: the page, no anchor
        ("7:phq9_1", "/p/answer/1#phq9_1-group"),  # no page 7: the first page
        ("x", "/p/answer/1"),
        ("2:<script>", "/p/answer/2"),
        ("", "/p/answer/1"),
    ):
        response = patient.post("/p/finish", {"topic": TOPIC, "change": value})
        assert response.status_code == 302, value
        assert response.headers["Location"] == location, value
    # An empty page leaves no draft behind.
    patient.post("/p/finish", {"topic": "  ", "comment": "", "change": "1:phq9_1"})
    assert _drafts(db) == 0


def test_words_left_unsent_go_when_the_questionnaire_closes(app: Flask, db: Database) -> None:
    patient, _world = _at_the_check(app, db)
    patient.post("/p/finish", {"comment": COMMENT, "change": "1:phq9_1"})
    other, _ = _at_the_check(app, db)
    other.post("/p/finish", {"comment": "Still typing", "change": "1:phq9_1"})
    assert _drafts(db) == 2
    now = dt.datetime.now(dt.UTC)
    # The first patient's window ends; the other's is still open at the clean-up: only a
    # closed questionnaire loses what was typed for it.
    with db.transaction() as session:
        first = session.scalar(
            select(Response.invitation_id).join(FinishDraft).order_by(FinishDraft.saved_at)
        )
        session.get_one(Invitation, first).expires_at = now - dt.timedelta(minutes=1)
    assert expire_windows(db, now) == 1
    result = apply_retention(db, now, RetentionSettings())
    assert result.finish_drafts_deleted == 1
    assert _drafts(db) == 1
    assert "Still typing" in _boxes(other)


def test_words_not_sent_yet_are_in_the_patients_own_data_download(app: Flask, db: Database) -> None:
    """The right of access covers everything the platform holds, however briefly."""
    patient, world = _at_the_check(app, db)
    patient.post("/p/finish", {"topic": TOPIC, "change": "1:phq9_1"})
    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    exported = download_patient_file(admin, world.unit_id, world.patient_id)
    (draft,) = exported["unsent_check_page_text"]
    assert (draft["instrument"], draft["topic"], draft["comment"]) == ("phq9", TOPIC, None)
    assert draft["instrument_text"]  # the questionnaire's title, in her language


def test_the_check_page_posts_to_itself_without_the_question_it_came_back_to(
    app: Flask, db: Database
) -> None:
    """Back from "Change" the address ends in `#phq9_9-group`; a form without an action posted
    there, so a refused send opened at that question, not at the error summary."""
    patient, _world = _at_the_check(app, db)
    page = patient.client.get("/p/finish?lang=en#phq9_9-group").get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]*)"[^>]* id="finish">', page)
    assert form is not None and form.group(1) == "/p/finish"
