"""The pre-session view says when the latest answers were given in a working translation.

The PHQ-9's bokmål and nynorsk texts are the project's own working wording, not validated
translations (docs/instruments.md), yet the panel showed severity bands and the cut-off with
no word of it: a therapist could read a score given on unvalidated wording as if validated.
The panel now says so when the latest answers were in such a language; answered in English
(the rights holder's own text) it says nothing. The page of all scores and the journal summary
(copied into the patient record) said nothing either; each now says it too.
"""

from __future__ import annotations

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation

NOTE_EN = "The latest answers were given in a working translation (Bokmål), not a validated one"


def _answered_in(
    app: Flask, db: Database, lang: str, page: str = "", instrument_id: str = "phq9"
) -> str:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world, instrument_id)
    patient = Patient(app.test_client(), token, lang=lang)
    assert patient.start().status_code == 302
    patient.answer_all(instrument_id, "1")
    assert patient.finish().status_code == 302
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    read = therapist.get(f"/clinician/episodes/{world.episode_id}{page}?lang=en")
    assert read.status_code == 200
    return read.get_data(as_text=True)


def test_answers_in_bokmal_are_marked_as_given_in_a_working_translation(
    app: Flask, db: Database
) -> None:
    page = _answered_in(app, db, "nb")
    panel = page.split('id="trend-phq9"', 1)[1].split("</section>", 1)[0]
    assert NOTE_EN in panel
    assert "the cut-offs and severity bands are the original questionnaire's" in panel


def test_an_alliance_scale_without_cut_offs_or_bands_is_not_said_to_have_them(
    app: Flask, db: Database
) -> None:
    """The WAI-SR has no cut-off and no severity bands; its note said its cut-offs and bands
    were the original questionnaire's."""
    panel = _answered_in(app, db, "nb", instrument_id="wai_sr")
    panel = panel.split('id="trend-wai_sr"', 1)[1].split("</section>", 1)[0]
    assert (
        "The latest answers were given in a working translation (Bokmål), not a validated one."
        in panel
    )
    assert "cut-offs" not in panel
    scores = _answered_in(app, db, "nb", "/scores", instrument_id="wai_sr")
    assert "not a validated one." in scores and "cut-offs and severity bands" not in scores


def test_answers_in_english_carry_no_such_note(app: Flask, db: Database) -> None:
    for page in ("", "/scores", "/summary"):
        assert "working translation (" not in _answered_in(app, db, "en", page)


def test_the_page_of_all_scores_says_it_too(app: Flask, db: Database) -> None:
    page = _answered_in(app, db, "nb", "/scores")
    section = page.split('id="scores-phq9"', 1)[1].split("</section>", 1)[0]
    assert (
        "Some or all of these answers were given in a working translation (Bokmål), not a "
        "validated one" in section
    )


def test_the_journal_summary_says_it_in_the_table_and_in_the_text_to_copy(
    app: Flask, db: Database
) -> None:
    page = " ".join(_answered_in(app, db, "nb", "/summary").split())
    note = "answered in a working translation (Bokmål), not a validated one"
    table, text = page.split("<textarea", 1)
    assert note in table
    phq9_line = next(line for line in text.split(" - ") if line.startswith("Patient Health"))
    assert note in phq9_line
