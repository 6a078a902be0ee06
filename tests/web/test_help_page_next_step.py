"""The help page shown after a risk answer names the next step as it is. After the last page
of questions it said "Continue the questionnaire", though nothing was left but checking and
sending the answers, which still has to be done for them to reach the clinic."""

from __future__ import annotations

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation


def test_after_the_last_page_the_help_page_leads_to_checking_and_sending(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    saved = patient.answer_page(
        2, {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "2", "phq9_10": "1"}
    )
    help_url = saved.headers["Location"]
    assert help_url.startswith("/p/help")
    page = patient.client.get(help_url + "&lang=en").get_data(as_text=True)
    assert '<a class="button" href="/p/finish">Check and send your answers</a>' in page
    assert "Continue the questionnaire" not in page
    nn = patient.client.get(help_url + "&lang=nn").get_data(as_text=True)
    assert ">Sjå over og send svara dine</a>" in nn
    # Shown between pages, the same page still leads on to the next page of questions.
    between = patient.client.get("/p/help?after=1&lang=en").get_data(as_text=True)
    assert '<a class="button" href="/p/answer/2">Continue the questionnaire</a>' in between


def test_a_risk_answer_saved_with_back_leads_back_after_the_help(app: Flask, db: Database) -> None:
    """The "Back" button on the last page with a risk answer showed the help page, whose one
    button led to checking and sending: the page the patient went back for was out of reach
    (seen on a phone without JavaScript, in nynorsk). The help comes first, then where she was
    going."""
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    saved = patient.answer_page(2, {"phq9_9": "2", "action": "back"})
    help_url = saved.headers["Location"]
    assert help_url.startswith("/p/help")
    page = patient.client.get(help_url + "&lang=nn").get_data(as_text=True)
    assert "113" in page  # the help itself, at once
    assert '<a class="button" href="/p/answer/1">Hald fram med spørjeskjemaet</a>' in page
    assert "send svara dine" not in page
    back = patient.client.get("/p/answer/1?lang=nn")
    assert back.status_code == 200


def test_a_risk_answer_on_a_page_sent_with_an_error_gets_the_help_at_once(
    app: Flask, db: Database
) -> None:
    """A page sent back for one bad answer saved nothing, so a risk answer on it showed no
    help until the page was complete. Its valid answers are saved now, the help comes first,
    and it leads back to the page to finish it."""
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    saved = patient.answer_page(2, {"phq9_6": "1", "phq9_7": "", "phq9_9": "2"})
    assert saved.headers["Location"].startswith("/p/help")
    page = patient.client.get(saved.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "113" in page
    assert '<a class="button" href="/p/answer/2">Continue the questionnaire</a>' in page
    again = patient.client.get("/p/answer/2?lang=en").get_data(as_text=True)
    assert '<input checked id="phq9_9-2" name="phq9_9"' in again
