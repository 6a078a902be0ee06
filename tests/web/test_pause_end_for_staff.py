"""The last day of a pause reads the same on both sides. The patient picks "Pause til og med
18. desember" and is told questionnaires start again the day after; staff once read "På pause
til 18. des. 2026", and "til" reads as "until", so a therapist could name the wrong restart day.
Followed from the patient's choice to the pre-session view, its consent history and the
caseload, in nb, nn and en. The view's first line says the pause and its end too (it said
"Feedback: Paused" with no date; for a patient who gives feedback, "Feedback: Gives feedback")."""

from __future__ import annotations

import datetime as dt

import pytest
from babel import dates
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, now, open_invitation
from tests.support.scheduling import OSLO

WORDS = {
    "nb": ("På pause til og med {date} (spørreskjema igjen fra {again})", "til og med {short}"),
    "nn": ("På pause til og med {date} (spørjeskjema igjen frå {again})", "til og med {short}"),
    "en": (
        "Paused to and including {date} (questionnaires again from {again})",
        "to and including {short}",
    ),
}
FIRST_LINE = {
    "nb": "Tilbakemelding på pause til og med {short} (spørreskjema igjen fra {again})",
    "nn": "Tilbakemelding på pause til og med {short} (spørjeskjema igjen frå {again})",
    "en": "Feedback paused to and including {short} (questionnaires again from {again})",
}
LOCALES = {"nb": "nb", "nn": "nn", "en": "en_GB"}


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_staff_read_the_pause_to_and_including_its_last_day_and_the_day_it_ends(
    app: Flask, client: FlaskClient, language: str
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    last_day = now().astimezone(OSLO).date() + dt.timedelta(days=14)
    chosen = patient.post("/p/choices", {"action": "pause", "pause-until": last_day.isoformat()})
    assert chosen.status_code == 302

    locale = LOCALES[language]
    restart = last_day + dt.timedelta(days=1)
    # With its year when the restart is not this year (a run in the last days of December).
    this_year = now().astimezone(OSLO).year
    skeleton = "MMMd" if restart.year == this_year else "yMMMd"
    again = dates.format_skeleton(skeleton, restart, locale=locale)
    header, short_words = WORDS[language]
    expected = header.format(date=dates.format_date(last_day, "medium", locale=locale), again=again)
    short_date = dates.format_date(last_day, "short", locale=locale)
    short = short_words.format(short=short_date)

    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang={language}")
    page = " ".join(html.get_data(as_text=True).split())
    assert expected in page
    assert f"– {short} (" in page  # the consent history
    first_line = page.split("</h1>", 1)[1].split("</p>", 1)[0]
    # In the line's own date style ("In treatment since 12 Aug 2026 · … to and including
    # 20 Dec 2026"): it read "20.12.2026" beside "12. aug. 2026" and the panel's "20. des. 2026".
    medium_date = dates.format_date(last_day, "medium", locale=locale)
    assert FIRST_LINE[language].format(short=medium_date, again=again) in first_line
    caseload = " ".join(
        therapist.get(f"/clinician/?lang={language}").get_data(as_text=True).split()
    )
    assert short in caseload and again in caseload


def test_the_first_line_says_feedback_once_for_a_patient_who_gives_it(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    page = " ".join(html.get_data(as_text=True).split())
    first_line = page.split("</h1>", 1)[1].split("</p>", 1)[0]
    assert first_line.endswith("· Gives feedback")
    assert "Feedback:" not in page


@pytest.mark.parametrize(
    ("language", "again"),
    [("en", "questionnaires again from 6 Jan 2027"), ("nb", "spørreskjema igjen fra 6. jan. 2027")],
)
def test_a_pause_into_next_year_names_the_year_it_ends(
    app: Flask, client: FlaskClient, language: str, again: str
) -> None:
    """A pause to 5 January chosen in December read "(questionnaires again from 6 Jan)":
    without its year that reads as a restart eleven months ago, or a year too early."""
    app.extensions["fit_clock"] = lambda: dt.datetime(2026, 12, 6, 11, 0, tzinfo=dt.UTC)
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    chosen = patient.post("/p/choices", {"action": "pause", "pause-until": "2027-01-05"})
    assert chosen.status_code == 302

    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang={language}")
    page = " ".join(html.get_data(as_text=True).split())
    assert again in page
