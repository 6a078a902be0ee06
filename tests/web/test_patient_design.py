"""The design pass on the patient's pages, through the web layer: answers checked before they
are sent, a long text never cut, choices one per page with dates in the patient's language,
the clinic named on every page reached from a message, and a complete privacy notice."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Response
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation

OSLO = ZoneInfo("Europe/Oslo")


def _choices(client: FlaskClient, db: Database) -> Patient:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    return patient


def test_the_finish_page_shows_each_answer_with_a_button_to_change_it(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "1")
    html = client.get("/p/finish?lang=en").get_data(as_text=True)
    assert "Check your answers before sending them" in html
    assert "Feeling down, depressed, or hopeless" in html
    assert html.count("<dd>Several days</dd>") == 9  # every scored question, its answer
    # Question 6 is on page 2: its "Change" leads there, to the question.
    assert 'name="change" value="2:phq9_6"' in html
    change = patient.post("/p/finish", {"change": "2:phq9_6"})
    assert change.headers["Location"] == "/p/answer/2#phq9_6-group"
    # Changing an answer on page 1 leads straight back to the check, not through page 2.
    response = patient.answer_page(1, {f"phq9_{n}": "0" for n in range(1, 6)})
    assert response.headers["Location"] == "/p/finish"
    html = client.get("/p/finish?lang=en").get_data(as_text=True)
    assert html.count("<dd>Not at all</dd>") == 5


def test_a_number_answer_is_checked_with_the_decimal_comma_the_patient_typed(
    client: FlaskClient, db: Database
) -> None:
    """A 0-10 line's answer is stored as "7.5"; the check page and the page to change it
    showed that to a patient who typed 7,5 in bokmål or nynorsk (seen on the group form's
    check page)."""
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world, "vas_demo")
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("vas_demo", "7,5")
    for lang, shown in (("nb", "7,5"), ("nn", "7,5"), ("en", "7.5")):
        html = client.get(f"/p/finish?lang={lang}").get_data(as_text=True)
        answers = re.findall(r"<dd>([^<]*)</dd>", html)
        assert answers and set(answers) == {shown}, (lang, answers)
        # Back on the page to change it, the field holds it as typed too.
        page = client.get(f"/p/answer/1?lang={lang}").get_data(as_text=True)
        fields = re.findall(r'<input[^>]*inputmode="decimal"[^>]*value="([^"]*)"', page)
        assert fields and set(fields) == {shown}, (lang, fields)
    # Sent back as shown, it is accepted.
    assert patient.answer_page(1, {"vas_demo_1": "7,5", "vas_demo_2": "7,5"}).status_code == 302


def test_a_long_text_is_not_cut_by_the_browser_and_comes_back_whole_with_its_length(
    client: FlaskClient, db: Database
) -> None:
    patient = _choices(client, db)
    page = client.get("/p/choices/stop?lang=en").get_data(as_text=True)
    assert "maxlength" not in page  # a browser would cut pasted text without a word
    assert "At most 500 characters." in page
    text = ("Jeg har for mye å gjøre nå. " * 23).strip()  # 643 characters
    response = patient.post("/p/choices/stop?lang=en", {"action": "stop", "stop-reason": text})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"Write at most 500 characters (you wrote {len(text)})." in html
    assert text in html  # nothing the patient wrote is lost
    assert 'id="error-summary"' in html and "autofocus" in html


def test_choices_ask_what_to_do_first_with_a_page_for_each_and_dates_in_the_patients_language(
    client: FlaskClient, db: Database
) -> None:
    patient = _choices(client, db)
    menu = client.get("/p/choices?lang=en").get_data(as_text=True)
    assert "What do you want to do?" in menu
    links = re.findall(r'href="(/p/choices/[a-z]+)"', menu)
    assert links == [f"/p/choices/{n}" for n in ("decline", "pause", "stop", "channel", "fewer")]
    assert "<textarea" not in menu and "<form" not in menu.split("<main", 1)[1].split("</main>")[0]
    for link in links:
        assert client.get(link).status_code == 200
    until = dt.date.today() + dt.timedelta(days=20)
    response = patient.post(
        "/p/choices/pause", {"action": "pause", "pause-until": until.isoformat()}
    )
    assert response.headers["Location"] == "/p/choices/done"
    menu = client.get("/p/choices?lang=nb").get_data(as_text=True)
    assert format_date(until, "long", locale="nb") in menu
    assert until.isoformat() not in menu


def test_an_unknown_choice_is_not_found_and_a_forged_one_changes_nothing(
    client: FlaskClient, db: Database
) -> None:
    patient = _choices(client, db)
    assert client.get("/p/choices/everything").status_code == 404
    assert patient.post("/p/choices", {"action": "everything"}).status_code == 400


def test_a_page_reached_from_a_message_names_the_clinic_and_its_phone(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    html = client.get(f"/p/{token}?lang=nb").get_data(as_text=True)
    bar = html.split('class="clinic-bar"', 1)[1].split("</div>", 1)[0]
    assert "DPS Test" in bar and 'href="tel:+4722000000"' in bar
    assert html.index('class="clinic-bar"') < html.index("<main")


def test_the_privacy_notice_names_every_right_and_the_retention_set_for_the_service(
    client: FlaskClient,
) -> None:
    html = client.get("/privacy?lang=en").get_data(as_text=True)
    for right in ("Access:", "Correction:", "Erasure:", "Objection:", "Datatilsynet"):
        assert right in html
    settings = client.application.config["FIT_SETTINGS"]
    assert f"deleted {settings.retention_link_token_days} days after" in html
    assert f"kept for {settings.retention_access_log_years} years" in html


def test_the_patients_own_results_use_british_dates_in_english_and_norwegian_ones_in_bokmal(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "1")
    patient.finish()
    with db.session() as session:
        submitted = session.scalars(
            select(Response.submitted_at).where(Response.submitted_at.is_not(None))
        ).one()
    assert submitted is not None
    day = submitted.replace(tzinfo=submitted.tzinfo or dt.UTC).astimezone(OSLO).date()
    english = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert format_date(day, "medium", locale="en_GB") in english  # "3 Dec 2026"
    assert format_date(day, "medium", locale="en_US") not in english  # not "Dec 3, 2026"
    bokmal = client.get("/p/progress?lang=nb").get_data(as_text=True)
    assert format_date(day, "medium", locale="nb") in bokmal
