"""Answering a questionnaire: pages saved as the patient goes, resume, double submit, risk."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    Invitation,
    ItemAnswer,
    Response,
    ResponseComment,
    ServiceFeedback,
    SessionTopic,
    SharedDecision,
    Signal,
)
from fit_platform.domain.codes import InvitationState, Language, ResponseStatus
from fit_platform.domain.instruments import get_instrument
from fit_platform.services import answering
from tests.support.factories import add_history, make_world
from tests.support.patient import Patient, invitation_state, now, open_invitation

FIRST_PAGE = {f"phq9_{i}": "1" for i in range(1, 6)}
SECOND_PAGE = {**{f"phq9_{i}": "1" for i in range(6, 11)}, "phq9_9": "0"}


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_whole_phq9_is_scored_and_closes_the_invitation(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    assert patient.answer_page(1, FIRST_PAGE).headers["Location"] == "/p/answer/2"
    assert patient.answer_page(2, SECOND_PAGE).headers["Location"] == "/p/finish"
    assert patient.finish().headers["Location"] == "/p/done"
    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert response.status is ResponseStatus.SUBMITTED
        assert response.total == 8 and response.band == "mild"
        assert response.risk is False
    assert invitation_state(db, invitation_id) is InvitationState.COMPLETED
    done = client.get("/p/done?lang=en").get_data(as_text=True)
    assert "Your first score is 8. Lower means fewer problems." in done


def test_a_half_answered_form_resumes_on_the_next_page_from_the_same_link(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    first_browser = Patient(app.test_client(), token)
    first_browser.start()
    first_browser.answer_page(1, {**FIRST_PAGE, "phq9_3": "2"})
    # The browser is closed; the patient opens the same link again later.
    later = Patient(app.test_client(), token)
    landing = later.client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert ">Continue<" in landing
    assert later.start().headers["Location"] == "/p/answer/2"
    page_one = later.client.get("/p/answer/1").get_data(as_text=True)
    assert 'checked id="phq9_3-2"' in page_one


def test_posting_the_same_page_twice_keeps_one_answer_per_item(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_page(1, FIRST_PAGE)
    patient.answer_page(1, {**FIRST_PAGE, "phq9_1": "3"})
    with db.session() as session:
        values = dict(session.execute(select(ItemAnswer.link_id, ItemAnswer.value)).all())
    assert len(values) == 5 and values["phq9_1"] == 3


def test_a_double_submit_stores_one_response_and_one_set_of_signals(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "2")
    first = patient.finish(topic="Sleep")
    second = patient.finish(topic="Sleep")
    assert first.headers["Location"] == second.headers["Location"] == "/p/done"
    assert count(db, Response) == 1
    assert count(db, SessionTopic) == 1
    with db.session() as session:
        codes = session.scalars(select(Signal.code)).all()
    assert codes == ["risk_answer"]


def test_two_tabs_answering_at_once_make_one_response_and_lose_nothing(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    invitation_id, _token = open_invitation(db, world)
    errors: list[BaseException] = []

    def save(page: int, value: str) -> None:
        try:
            codes = {k: value for k in answering.page_plan(get_instrument("phq9"))[page - 1]}
            answering.save_page(db, invitation_id, page, codes, Language.ENGLISH, now())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=save, args=(1 + i % 2, "1")) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(db, Response) == 1
    assert count(db, ItemAnswer) == 10


def test_a_risk_answer_shows_help_at_once_and_is_stored_even_if_the_browser_is_closed(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_page(1, {k: "0" for k in FIRST_PAGE})
    response = patient.answer_page(2, {**{k: "0" for k in SECOND_PAGE}, "phq9_9": "2"})
    assert response.headers["Location"] == "/p/help?after=2"
    help_page = client.get("/p/help?after=2&lang=en").get_data(as_text=True)
    for text in ('href="tel:113"', 'href="tel:116117"', "not monitored around the clock"):
        assert text in help_page
    assert 'href="tel:+4722000000"' in help_page  # the clinic
    # The patient closes the browser here and never submits.
    with db.session() as session:
        signal = session.scalars(select(Signal)).one()
        assert signal.code == "risk_answer" and signal.severity == "high"
        assert signal.episode_id == world.episode_id
        assert session.get_one(Invitation, invitation_id).state is InvitationState.OPENED


def test_a_risk_answer_is_not_raised_twice_when_the_page_is_saved_again_and_submitted(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_page(1, FIRST_PAGE)
    patient.answer_page(2, {**SECOND_PAGE, "phq9_9": "3"})
    patient.answer_page(2, {**SECOND_PAGE, "phq9_9": "3"})
    patient.finish()
    assert count(db, Signal) == 1


def test_submitting_computes_change_signals_over_the_episode_history(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    add_history(db, world, [8, 9])
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "2", phq9_9="0")  # total 16: reliably worse than 8
    patient.finish()
    with db.session() as session:
        codes = set(session.scalars(select(Signal.code)))
    assert "reliable_deterioration" in codes


def test_a_required_item_left_blank_gets_an_error_linked_to_the_question(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    response = patient.post("/p/answer/1?lang=en", {**FIRST_PAGE, "phq9_2": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # The summary names the question (not five identical lines) and links to it.
    assert (
        '<a href="#phq9_2-0">Question 2, “Feeling down, depressed, or hopeless”: '
        "Choose an answer to this question.</a>"
    ) in html
    assert 'id="error-summary"' in html
    # The four answered are saved all the same ("saved each time you go on"), not question 2.
    _saved_page_one_without(db, "phq9_2")


def _saved_page_one_without(db: Database, left_out: str) -> None:
    with db.session() as session:
        saved = set(session.scalars(select(ItemAnswer.link_id)))
    assert saved == set(FIRST_PAGE) - {left_out}


def test_the_optional_item_may_be_left_blank_and_says_what_it_means_for_the_score(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_page(1, FIRST_PAGE)
    page = client.get("/p/answer/2?lang=en").get_data(as_text=True)
    assert "It does not change your score." in page
    blank = {**SECOND_PAGE}
    del blank["phq9_10"]
    assert patient.answer_page(2, blank).headers["Location"] == "/p/finish"
    patient.finish()
    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert response.scorable is True and response.total == 8


@pytest.mark.parametrize("forged", ["7", "-1", "1.5", "abc", "0" * 500, "<script>"])
def test_a_forged_answer_value_gets_a_translated_error_and_is_not_saved(
    client: FlaskClient, db: Database, forged: str
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    response = patient.post("/p/answer/1?lang=en", {**FIRST_PAGE, "phq9_4": forged})
    assert response.status_code == 422
    assert "That answer is not one of the choices" in response.get_data(as_text=True)
    _saved_page_one_without(db, "phq9_4")  # the page's valid answers are kept


def test_a_page_number_that_does_not_exist_is_a_404(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    assert client.get("/p/answer/3").status_code == 404
    assert patient.answer_page(0, FIRST_PAGE).status_code == 404


def test_finishing_before_all_pages_are_answered_goes_back_to_the_missing_page(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_page(1, FIRST_PAGE)
    assert patient.finish().headers["Location"] == "/p/answer/2"
    assert count(db, Signal) == 0


HOSTILE = [
    "x" * 10_000,
    "<script>alert(1)</script>",
    "før\x00etter",
    "\u202eevil\u202c and \u200fمرحبا\u200f",
    "line\r\nbreak\x07bell\x1b[31m",
]


@pytest.mark.parametrize("text", HOSTILE, ids=["10k", "script", "nul", "rtl", "control"])
def test_hostile_free_text_gets_a_clear_error_or_is_stored_safely(
    client: FlaskClient, db: Database, text: str
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    response = patient.finish(topic=text, comment=text)
    if len(text) > 1000:
        assert response.status_code == 422
        assert "Write at most 1000 characters (you wrote 10000)." in (
            patient.post("/p/finish?lang=en", {"topic": text}).get_data(as_text=True)
        )
        assert count(db, SessionTopic) == 0
        return
    assert response.status_code == 302
    with db.session() as session:
        topic = session.scalars(select(SessionTopic.text)).one()
        comment = session.scalars(select(ResponseComment.text)).one()
    assert topic == comment
    assert "\x00" not in topic and "\x07" not in topic and "\x1b" not in topic
    assert "\r" not in topic
    if "script" in text:
        assert topic == text  # stored as plain text, escaped when shown


def test_an_alliance_comment_for_the_service_only_is_stored_without_any_link_to_the_patient(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world, "wai_sr")
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("wai_sr", "4")
    finish_page = client.get("/p/finish?lang=en").get_data(as_text=True)
    assert "Who should read your comment?" in finish_page
    patient.finish(comment="The waiting room is cold", comment_to="service")
    with db.session() as session:
        feedback = session.scalars(select(ServiceFeedback)).one()
    assert feedback.text == "The waiting room is cold"
    assert feedback.unit_id == world.unit_id and len(feedback.period) == 7
    assert count(db, ResponseComment) == 0
    columns = {c.name for c in ServiceFeedback.__table__.columns}
    assert not columns & {"patient_id", "episode_id", "response_id", "created_at"}


def test_an_outcome_questionnaire_has_no_service_only_choice(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish(comment="For my therapist", comment_to="service")
    assert count(db, ServiceFeedback) == 0
    with db.session() as session:
        assert session.scalars(select(ResponseComment.text)).one() == "For my therapist"


def test_progress_after_submitting_shows_the_trend_in_one_plain_sentence(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    add_history(db, world, [19, 16, 14])
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "1", phq9_1="3", phq9_2="2", phq9_9="0")  # 3 + 2 + 6 = 11
    patient.finish()
    html = client.get("/p/done?lang=en").get_data(as_text=True)
    assert "Your score has gone down from 14 to 11 since last time." in html
    assert "When you started, your score was 19." in html
    assert "Compared with then, that is a clear change for the better." in html
    assert "Lower means fewer problems." in html
    assert "<svg" in html and "<table>" in html and "style=" not in html
    assert html.count("<circle") == 4


def test_the_patient_can_comment_on_the_result(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish()
    assert patient.post("/p/done", {"text": "Better week"}).status_code == 302
    with db.session() as session:
        assert session.scalars(select(ResponseComment.text)).one() == "Better week"


def test_progress_shows_the_shared_decisions_and_who_has_read_the_answers(
    client: FlaskClient, db: Database
) -> None:
    import datetime as dt

    from fit_platform.domain.codes import Role
    from fit_platform.services.access_log import record_access

    world = make_world(db)
    with db.transaction() as session:
        session.add(
            SharedDecision(
                episode_id=world.episode_id,
                options_discussed="More sessions or a group",
                what_matters="Sleeping better",
                decision="Weekly sessions for a month",
                review_on=dt.date(2027, 1, 15),
                recorded_by_id=world.therapist_id,
            )
        )
        record_access(
            session,
            staff_id=world.therapist_id,
            role=Role.THERAPIST,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            action="presession_view",
            now=dt.datetime.now(dt.UTC),
        )
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish()
    done = client.get("/p/done?lang=en").get_data(as_text=True)
    assert 'href="/p/progress"' in done  # the thank-you page stays short and links on
    html = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "Weekly sessions for a month" in html and "Sleeping better" in html
    assert "Who has looked at your answers" in html
    # On a phone the table is one card per visit, each line named (site.css, `reflow`).
    readers = html.split("Who has looked at your answers", 1)[1]
    assert '<table class="reflow">' in readers
    assert '<td data-label="Who">Therapist<br>' in readers
    assert "Staff " not in html  # the reader's name is never shown


def test_a_page_sent_without_the_sessions_csrf_token_is_refused_and_saves_nothing(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    answers = {f"phq9_{i}": "2" for i in range(1, 6)}
    assert client.post("/p/answer/1", data=answers).status_code == 400
    forged = {**answers, "csrf_token": patient.csrf[:-4] + "AAAA"}
    assert client.post("/p/answer/1", data=forged).status_code == 400
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemAnswer)) == 0
    assert patient.answer_page(1, answers).status_code == 302
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemAnswer)) == 5
