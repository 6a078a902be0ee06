"""Changing language on a questionnaire page keeps what the patient ticked there.

The language links were plain links: following one reloaded the page in the other language
with the saved answers only, and a note under them asked the patient to save first. On a
question page the three languages are now buttons of the page's form (the header's buttons
name it with `form=`): a choice saves the page the way "Back" does (in full, or in part, never
refused), keeps each answer's language as the page showed it, and shows the same page again in
the language chosen. Every other page keeps plain links (docs/patient-journey.md)."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import ItemAnswer, Response
from tests.support.patient import Patient, saved_answers, started_patient

FIRST_PAGE = {f"phq9_{i}": "1" for i in range(1, 6)}


def _header(html: str) -> str:
    return html.split("</header>", 1)[0]


def _switch(patient: Patient, page: int, ticked: dict[str, str], to: str) -> str:
    went = patient.post(f"/p/answer/{page}", {**ticked, "language": to})
    assert went.status_code == 302, went.get_data(as_text=True)[:500]
    return str(went.headers["Location"])


def _languages_of_answers(db: Database, invitation_id: int) -> dict[str, str]:
    with db.session() as session:
        rows = session.execute(
            select(ItemAnswer.link_id, ItemAnswer.language)
            .join(Response, Response.id == ItemAnswer.response_id)
            .where(Response.invitation_id == invitation_id)
        ).all()
    return {link_id: language.value if language else "" for link_id, language in rows}


def _invitation_id(db: Database) -> int:
    with db.session() as session:
        invitation_id = session.execute(select(Response.invitation_id)).scalar_one()
    assert invitation_id is not None
    return invitation_id


def test_the_question_page_offers_the_languages_as_buttons_of_its_form(
    app: Flask, db: Database
) -> None:
    patient, token = started_patient(app, db, lang="nb")
    page = patient.client.get("/p/answer/1").get_data(as_text=True)
    header = _header(page)
    buttons = re.findall(r'<button form="answers" name="language" value="(nb|nn|en)"', header)
    assert buttons == ["nb", "nn", "en"]
    assert "?lang=" not in header  # no link that would drop the ticks
    assert '<form method="post" id="answers"' in page
    # The form's first button in the document (its default: what Enter presses) is a plain
    # save, which comes before the language buttons in the header.
    first = re.search(r'<button form="answers"[^>]*>', header)
    assert first is not None and "name=" not in first.group(0)
    # Pages without a form to lose keep plain links.
    landing = patient.client.get(f"/p/{token}").get_data(as_text=True)
    assert len(re.findall(r'<a href="[^"]*lang=(?:nb|nn|en)"', _header(landing))) == 3
    assert 'name="language"' not in landing


def test_a_page_answered_in_part_keeps_its_ticks_in_the_other_language(
    app: Flask, db: Database
) -> None:
    patient, _token = started_patient(app, db, lang="nb")
    ticked = {"phq9_1": "2", "phq9_3": "1"}
    assert _switch(patient, 1, ticked, "nn").endswith("/p/answer/1")
    page = patient.client.get("/p/answer/1").get_data(as_text=True)
    assert '<html lang="nn">' in page
    assert re.search(r'<button form="answers" name="language" value="nn"[^>]*aria-current', page)
    assert 'checked id="phq9_1-2"' in page and 'checked id="phq9_3-1"' in page
    assert page.count("<input checked") == 2
    invitation_id = _invitation_id(db)
    assert set(saved_answers(db, invitation_id)) == {"phq9_1", "phq9_3"}  # no blanks stored
    # The answers keep the language they were given in; the page is not done: going on asks.
    assert _languages_of_answers(db, invitation_id) == {"phq9_1": "nb", "phq9_3": "nb"}
    assert patient.client.get("/p/").headers["Location"].endswith("/p/answer/1")
    # And the choice holds for the next pages.
    assert patient.answer_page(1, FIRST_PAGE).headers["Location"].endswith("/p/answer/2")
    assert '<html lang="nn">' in patient.client.get("/p/answer/2").get_data(as_text=True)


def test_a_page_answered_in_full_is_saved_and_shown_again_not_left(
    app: Flask, db: Database
) -> None:
    patient, _token = started_patient(app, db, lang="en")
    assert _switch(patient, 1, FIRST_PAGE, "nb").endswith("/p/answer/1")
    page = patient.client.get("/p/answer/1").get_data(as_text=True)
    assert '<html lang="nb">' in page and page.count("<input checked") == 5
    invitation_id = _invitation_id(db)
    assert set(_languages_of_answers(db, invitation_id).values()) == {"en"}
    # Nothing ticked: nothing saved, the language changes all the same.
    assert _switch(patient, 2, {}, "nn").endswith("/p/answer/2")
    assert set(saved_answers(db, invitation_id)) == set(FIRST_PAGE)
    assert '<html lang="nn">' in patient.client.get("/p/answer/2").get_data(as_text=True)


def test_a_risk_answer_ticked_before_a_language_change_shows_the_help_first(
    app: Flask, db: Database
) -> None:
    patient, _token = started_patient(app, db, lang="en")
    assert patient.answer_page(1, FIRST_PAGE).status_code == 302
    assert "/p/help" in _switch(patient, 2, {"phq9_9": "2"}, "nn")
    help_page = patient.client.get("/p/help?after=2").get_data(as_text=True)
    assert '<html lang="nn">' in help_page and 'href="tel:113"' in help_page


def test_a_language_the_platform_does_not_have_is_an_ordinary_save(
    app: Flask, db: Database
) -> None:
    patient, _token = started_patient(app, db, lang="en")
    refused = patient.post("/p/answer/1", {"phq9_1": "1", "language": "sv"})
    assert refused.status_code == 422  # the page is not answered in full: asked again
    assert '<html lang="en">' in refused.get_data(as_text=True)
    # What was answered is saved in part, as for any page sent back for an error.
    assert set(saved_answers(db, _invitation_id(db))) == {"phq9_1"}


def test_the_review_page_changes_language_keeping_what_was_typed_and_sends_nothing(
    app: Flask, db: Database
) -> None:
    """The review page's boxes (a topic for the next session, a comment) were lost by a
    language link. Its languages are buttons of its form too: the page comes back in the
    language chosen with the words as typed, and only "Send my answers" sends them."""
    patient, _token = started_patient(app, db, lang="nb")
    patient.answer_all("phq9", "1")
    review = patient.client.get("/p/finish").get_data(as_text=True)
    buttons = re.findall(r'<button form="finish" name="language" value="(nb|nn|en)"', review)
    assert (
        buttons == ["nb", "nn", "en"]
        and '<form method="post" action="/p/finish" novalidate' in review
    )
    typed = {"topic": "Søvnen & jobben", "comment": "Vanskelig uke.\nMen bedre nå."}
    shown = patient.post("/p/finish", {**typed, "language": "en"})
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert '<html lang="en">' in page and "Check your answers before sending them" in page
    assert "Søvnen &amp; jobben</textarea>" in page
    assert "Vanskelig uke.\nMen bedre nå.</textarea>" in page
    assert 'class="error-summary"' not in page and "There is a problem" not in page
    with db.session() as session:
        response = session.execute(select(Response)).scalar_one()
        assert response.submitted_at is None  # nothing was sent
    # The language holds for the next page, and the send goes through with the words.
    assert patient.finish(**typed).status_code == 302
    with db.session() as session:
        response = session.execute(select(Response)).scalar_one()
        assert response.submitted_at is not None
    done = patient.client.get("/p/done").get_data(as_text=True)
    assert '<html lang="en">' in done and "Vanskelig uke." in done
