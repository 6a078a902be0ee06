"""Every page a patient reaches from the questionnaire leads back to it.

The error pages' only link was "Go to the start page" (the public page with the staff login),
the privacy notice had no way back, and the choices page ("Say no, pause or stop") none while a
questionnaire was open; each now links to `/p/`, which resumes where the patient was. A
visitor without a link still gets the start page. The 400 page said "The request could not be
understood" and asked to reload, which sends the refused form again."""

from __future__ import annotations

import pytest
from flask import Flask

from fit_platform.db import Database
from tests.support.patient import Patient, started_patient

BACK = '<a href="/p/" class="back-link">Back to the questionnaire</a>'
BACK_PLAIN = '<a href="/p/">Back to the questionnaire</a>'
START = "Go to the start page"


def _patient(app: Flask, db: Database, lang: str = "en") -> Patient:
    return started_patient(app, db, lang)[0]


def test_error_pages_lead_a_patient_back_to_the_questionnaire(app: Flask, db: Database) -> None:
    patient = _patient(app, db)
    missing = patient.client.get("/p/answer/99?lang=en")
    refused = patient.client.post("/p/answer/1?lang=en", data={})  # no form token
    for response, status in ((missing, 404), (refused, 400)):
        html = response.get_data(as_text=True)
        assert response.status_code == status
        # Neither the link nor the text sends a patient to the start page (the 404 text said
        # "or go to the start page" above the link back to the questionnaire).
        assert BACK_PLAIN in html and "start page" not in html
    assert "Reload" not in refused.get_data(as_text=True)
    # /p/ is where the link leads on: the first page not answered.
    assert patient.client.get("/p/").headers["Location"].endswith("/p/answer/1")


@pytest.mark.parametrize("status_path", ["/no-such-page", "/clinician/episodes/x"])
def test_a_visitor_without_a_link_gets_the_start_page(app: Flask, status_path: str) -> None:
    html = app.test_client().get(f"{status_path}?lang=en").get_data(as_text=True)
    assert START in html and "Back to the questionnaire" not in html


def test_the_privacy_notice_and_the_choices_lead_back(app: Flask, db: Database) -> None:
    patient = _patient(app, db)
    for path in ("/privacy", "/p/choices"):
        html = patient.client.get(f"{path}?lang=en").get_data(as_text=True)
        assert BACK in html, path
    assert BACK not in app.test_client().get("/privacy?lang=en").get_data(as_text=True)


def test_a_bad_request_says_plainly_that_nothing_was_saved(app: Flask, db: Database) -> None:
    patient = _patient(app, db, "nn")
    html = patient.client.post("/p/answer/1?lang=nn", data={}).get_data(as_text=True)
    assert "Forespurnaden" not in html and "Førespurnaden" not in html
    assert "Ingenting frå det vart lagra. Opne sida på nytt og prøv igjen." in html


def test_the_channel_page_opens_on_how_links_go_now_and_saves(app: Flask, db: Database) -> None:
    """It opened with neither choice ticked under "Now: text message (SMS)", and its button
    said "Change"."""
    patient = _patient(app, db)
    page = patient.client.get("/p/choices/channel?lang=en").get_data(as_text=True)
    sms = page.split('value="sms"', 1)[0].rsplit("<input", 1)[1] + 'value="sms"'
    email = page.split('value="email"', 1)[0].rsplit("<input", 1)[1]
    assert "checked" in sms and "checked" not in email
    assert ">Save</button>" in page and ">Change</button>" not in page


@pytest.mark.parametrize(
    ("lang", "once"),
    [
        ("nb", "Du kan bare svare én gang med hver lenke."),
        ("nn", "Du kan berre svare éin gong med kvar lenkje."),
    ],
)
def test_an_answered_link_says_it_cannot_be_answered_again_not_that_it_cannot_be_used(
    app: Flask, db: Database, lang: str, once: str
) -> None:
    """The English said "each link can be answered only once"; the Norwegian said it can be
    "used" only once, right above three buttons that use it (choices, goals, progress)."""
    patient, token = started_patient(app, db, lang)
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302
    page = app.test_client().get(f"/p/{token}?lang={lang}").get_data(as_text=True)
    assert once in " ".join(page.split())
    assert "brukes én gang" not in page and "brukast éin gong" not in page


def test_the_choices_page_does_not_link_to_itself_in_its_footer(app: Flask, db: Database) -> None:
    patient = _patient(app, db)
    choices = patient.client.get("/p/choices?lang=en").get_data(as_text=True)
    assert 'href="/p/choices"' not in choices.split('<footer class="site-footer">', 1)[1]
    page = patient.client.get("/p/answer/1?lang=en").get_data(as_text=True)
    assert 'href="/p/choices"' in page.split('<footer class="site-footer">', 1)[1]


def test_the_choices_menu_says_what_the_plan_and_the_standing_choices_are(
    app: Flask, db: Database
) -> None:
    patient = _patient(app, db, "nn")
    menu = " ".join(patient.client.get("/p/choices?lang=nn").get_data(as_text=True).split())
    assert 'Kriseplanen min</a> <span class="hint">Med dine eigne ord: teikn på ei krise' in menu
    assert "til dømes kven dei tilsette kan kontakte." in menu
