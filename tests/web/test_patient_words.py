"""The patient's words reach the reader the page promises: what a patient writes on the
finish page, the thank-you page and the choices page is read by their therapist on the
pre-session view, and the patient pages say exactly who reads what."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, ResponseComment
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _answered(
    app: Flask, client: FlaskClient, instrument: str = "phq9", answer: str = "0"
) -> tuple[Database, World, Patient]:
    """A patient of a new world who opened their link and answered every page of
    `instrument` with `answer`, not yet finished."""
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world, instrument)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all(instrument, answer)
    return db, world, patient


def _presession(app: Flask, world: World) -> str:
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    response = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _own_words(html: str) -> str:
    start = html.index('id="own-words"')
    return html[start : html.index("</section>", start)]


def test_comments_from_the_finish_and_thank_you_pages_reach_the_therapist_newest_first(
    app: Flask, client: FlaskClient
) -> None:
    _, world, patient = _answered(app, client, answer="1")
    assert patient.finish(comment="Slept badly <all week>").status_code == 302
    assert patient.post("/p/done", {"text": "First thought on the result"}).status_code == 302
    assert patient.post("/p/done", {"text": "Second thought"}).status_code == 302

    words = _own_words(_presession(app, world))
    assert "Slept badly &lt;all week&gt;" in words
    assert words.index("Second thought") < words.index("First thought on the result")
    assert words.index("First thought on the result") < words.index("Slept badly")
    assert "Comment sent with Patient Health Questionnaire (PHQ-9)" in words
    assert words.count("Comment on the result of Patient Health Questionnaire (PHQ-9)") == 2


def test_a_second_comment_on_the_thank_you_page_keeps_the_first_and_the_patient_sees_both(
    app: Flask, client: FlaskClient
) -> None:
    db, world, patient = _answered(app, client, answer="0")
    patient.finish()
    patient.post("/p/done", {"text": "Better week"})
    patient.post("/p/done", {"text": "Actually, a mixed week"})
    html = client.get("/p/done?lang=en").get_data(as_text=True)
    assert "What you have written to your therapist" in html
    assert html.index("Better week") < html.index("Actually, a mixed week")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseComment)) == 2
    words = _own_words(_presession(app, world))
    assert "Better week" in words and "Actually, a mixed week" in words


def test_reasons_for_declining_stopping_and_fewer_questionnaires_reach_the_therapist(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    for name in ("decline", "stop", "fewer"):
        choice = client.get(f"/p/choices/{name}?lang=en").get_data(as_text=True)
        assert "Your therapist reads this before your next session." in choice
    patient.post("/p/choices", {"action": "fewer", "fewer-reason": "Every other week suits me"})
    patient.post("/p/choices", {"action": "decline", "decline-reason": "Busy week"})
    patient.post("/p/choices", {"action": "stop", "stop-reason": "Too many forms"})

    words = _own_words(_presession(app, world))
    assert "Consent change: Stopped feedback" in words
    # Declining one questionnaire is not a consent change: labelled like the comments.
    assert "Declined Patient Health Questionnaire (PHQ-9)" in words
    assert "Consent change: Declined" not in words
    # Consent did not change: the patient asked for fewer, and the label says just that.
    assert "Asked for fewer questionnaires" in words
    assert "Consent change: Asked for fewer questionnaires" not in words
    assert (
        words.index("Too many forms")
        < words.index("Busy week")
        < words.index("Every other week suits me")
    )


def test_reading_the_patients_words_is_covered_by_the_one_access_log_row_of_the_page(
    app: Flask, client: FlaskClient
) -> None:
    db, world, patient = _answered(app, client, answer="0")
    patient.finish(comment="For my therapist")
    assert "For my therapist" in _presession(app, world)
    with db.session() as session:
        actions = session.scalars(
            select(AccessLog.action).where(AccessLog.patient_id == world.patient_id)
        ).all()
    assert actions == ["presession_view"]


def test_the_finish_page_says_who_reads_each_text(app: Flask, client: FlaskClient) -> None:
    _answered(app, client, "wai_sr", answer="4")
    html = client.get("/p/finish?lang=en").get_data(as_text=True)
    assert "Your therapist reads this before your next session." in html
    assert "quality team reads comments sent to the service" in html
    assert "not linked to you" in html


def test_the_same_comment_posted_twice_is_kept_once_and_a_new_one_is_added(
    app: Flask, client: FlaskClient
) -> None:
    db, _, patient = _answered(app, client, answer="0")
    patient.finish(comment="Sent with the answers")
    for _ in range(2):  # a double click
        assert patient.post("/p/done", {"text": "Better week"}).status_code == 302
    assert patient.post("/p/done", {"text": "Sent with the answers"}).status_code == 302
    with db.session() as session:
        texts = session.scalars(select(ResponseComment.text).order_by(ResponseComment.id)).all()
    assert texts == ["Sent with the answers", "Better week", "Sent with the answers"]


def test_the_thank_you_page_shows_the_topic_the_patient_wrote_as_the_therapist_reads_it(
    app: Flask, client: FlaskClient
) -> None:
    _, world, patient = _answered(app, client, answer="1")
    topic = "Work <b>and</b> sleep\r\n  and my sister"
    assert patient.finish(topic=topic, comment="Tired").status_code == 302

    thanks = client.get("/p/done?lang=en").get_data(as_text=True)
    start = thanks.index('id="own-comments-title"')
    written = thanks[start : thanks.index("</section>", start)]
    assert "What you want to talk about in your next session" in written
    assert "Work &lt;b&gt;and&lt;/b&gt; sleep" in written and "<b>and</b>" not in written
    assert "Tired" in written

    # The same words (as stored: cleaned the same way) stand first on the pre-session view.
    presession = _presession(app, world)
    wants = presession[presession.index('id="goals-heading"') :]
    wants = wants[: wants.index("</section>")]
    assert "To talk about first" in wants
    shown = written[written.index('class="own-topic') :]
    shown = shown[shown.index(">") + 1 : shown.index("</p>")]
    assert shown in wants


def test_the_thank_you_page_shows_no_topic_when_none_was_written(
    app: Flask, client: FlaskClient
) -> None:
    _, _, patient = _answered(app, client, answer="1")
    assert patient.finish(comment="Only a comment").status_code == 302
    thanks = client.get("/p/done?lang=en").get_data(as_text=True)
    assert "Only a comment" in thanks
    assert "own-topic" not in thanks and "Your comments" not in thanks
