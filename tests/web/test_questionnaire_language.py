"""A questionnaire that is not in the patient's language (CORE-10 is English only, by licence)
is shown in an available language with a plain notice, never a 500; the therapist's picker
names instruments by title and marks the ones not available in every language, and the
languages whose text is a working translation rather than the rights holder's."""

from __future__ import annotations

import dataclasses
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Response
from fit_platform.domain.codes import Language, ResponseStatus
from fit_platform.domain.instrument_language import questionnaire_language, working_translations
from fit_platform.domain.instruments import (
    LanguageInfo,
    TranslationStatus,
    default_instruments,
)
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation

NOTICE = {
    "nb": "Dette spørreskjemaet finnes bare på engelsk.",
    "nn": "Dette spørjeskjemaet finst berre på engelsk.",
}
CHROME = {"nb": "Lagre og gå videre", "nn": "Lagre og gå vidare"}


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("language", [Language.BOKMAAL, Language.NYNORSK])
def test_a_norwegian_patient_sent_core10_answers_it_in_english_with_a_notice(
    client: FlaskClient, language: Language
) -> None:
    db = _db(client)
    world = make_world(db, language=language)
    _invitation, token = open_invitation(db, world, "core10")
    patient = Patient(client, token, lang=language.value)
    landing = unescape(client.get(f"/p/{token}").get_data(as_text=True))
    assert NOTICE[language.value] in landing
    assert patient.start().status_code == 302
    first = client.get("/p/answer/1")
    html = unescape(first.get_data(as_text=True))
    assert first.status_code == 200
    assert f'<html lang="{language.value}">' in html  # the page around it stays Norwegian
    assert NOTICE[language.value] in html
    assert CHROME[language.value] in html
    assert '<span lang="en">I have felt tense, anxious or nervous</span>' in html
    patient.answer_all("core10", code="1")
    assert patient.finish().status_code == 302
    with db.session() as session:
        response = session.scalars(select(Response)).one()
    assert response.status is ResponseStatus.SUBMITTED
    assert response.language is Language.ENGLISH  # the language the answers were given in
    # The therapist, reading in the patient's language, sees the answers.
    log_in(client, world.therapist_username, PASSWORD)
    view = client.get(f"/clinician/episodes/{world.episode_id}?lang={language.value}")
    assert view.status_code == 200
    assert "I have felt tense, anxious or nervous" in unescape(view.get_data(as_text=True))


def test_an_english_reading_patient_gets_no_notice(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db, language=Language.ENGLISH)
    _invitation, token = open_invitation(db, world, "core10")
    patient = Patient(client, token, lang="en")
    patient.start()
    html = client.get("/p/answer/1").get_data(as_text=True)
    assert "only available in" not in html and "not available in your language" not in html


def test_the_nearest_language_is_the_other_norwegian_written_standard_first() -> None:
    phq9 = default_instruments()["phq9"]
    core10 = default_instruments()["core10"]
    assert questionnaire_language(phq9, "nn") == "nn"
    assert questionnaire_language(core10, "nb") == "en"
    assert questionnaire_language(core10, "nn") == "en"


@pytest.mark.parametrize(
    ("language", "marked"),
    [
        ("nb", "CORE-10 (ikke på bokmål, nynorsk)"),
        ("nn", "CORE-10 (ikkje på bokmål, nynorsk)"),
        ("en", "CORE-10 (not in Bokmål, Nynorsk)"),
    ],
)
def test_the_schedule_picker_shows_titles_and_marks_instruments_missing_a_language(
    client: FlaskClient, language: str, marked: str
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    html = unescape(
        client.get(f"/clinician/episodes/{world.episode_id}/schedule?lang={language}").get_data(
            as_text=True
        )
    )
    assert f'<option value="core10">{marked}</option>' in html
    assert '<option value="phq9">' in html and '<option value="phq9">phq9<' not in html
    assert ">core10<" not in html


@pytest.mark.parametrize(
    ("language", "working", "english", "not_in", "wai_sr_title"),
    [
        (
            "nb",
            "arbeidsoversettelse",
            "engelsk",
            "ikke på",
            "Arbeidsallianse – kort, revidert versjon",
        ),
        (
            "nn",
            "arbeidsomsetjing",
            "engelsk",
            "ikkje på",
            "Arbeidsallianse – kort, revidert versjon",
        ),
        (
            "en",
            "working translation",
            "English",
            "not in",
            "Working Alliance Inventory – Short Revised",
        ),
    ],
)
def test_the_schedule_picker_tells_the_therapist_which_texts_are_working_translations(
    client: FlaskClient,
    language: str,
    working: str,
    english: str,
    not_in: str,
    wai_sr_title: str,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    html = unescape(
        client.get(f"/clinician/episodes/{world.episode_id}/schedule?lang={language}").get_data(
            as_text=True
        )
    )

    def option(value: str) -> str:
        return html[html.index(f'<option value="{value}">') :].split("</option>")[0]

    # The short name first: a closed select on a phone shows the start of its choice only.
    assert option("phq9").startswith('<option value="phq9">PHQ-9: ')
    # English names the written standards as proper names; Norwegian mid-sentence, lower case.
    norwegian = "Bokmål, Nynorsk" if language == "en" else "bokmål, nynorsk"
    assert option("phq9").endswith(f" ({working}: {norwegian})")
    assert "(PHQ-9)" not in option("phq9")
    assert option("wai_sr") == (
        f'<option value="wai_sr">WAI-SR: {wai_sr_title} ({working}: {norwegian}, {english})'
    )
    # CORE-10 ships only the rights holder's English text: nothing to mark as working.
    assert option("core10").endswith(f"CORE-10 ({not_in} {norwegian})")


def test_a_language_the_service_replaced_with_the_official_text_is_no_longer_marked() -> None:
    phq9 = default_instruments()["phq9"]
    assert working_translations(phq9) == ("nb", "nn")
    official_nb = LanguageInfo(TranslationStatus.OFFICIAL, "Pfizer, phqscreeners.com")
    replaced = dataclasses.replace(phq9, languages={**phq9.languages, "nb": official_nb})
    assert working_translations(replaced) == ("nn",)
    assert working_translations(default_instruments()["core10"]) == ()


def test_an_english_wai_sr_says_my_therapist_to_the_patient_and_to_the_therapist(
    client: FlaskClient,
) -> None:
    # The printed form's blank for the therapist's name never reaches a page as underscores.
    db = _db(client)
    world = make_world(db, language=Language.ENGLISH)
    _invitation, token = open_invitation(db, world, "wai_sr")
    patient = Patient(client, token, lang="en")
    assert patient.start().status_code == 302
    pages = "".join(
        unescape(client.get(f"/p/answer/{page}").get_data(as_text=True)) for page in (1, 2, 3)
    )
    assert "I believe my therapist likes me." in pages
    assert "____" not in pages
    patient.answer_all("wai_sr", code="4")
    assert patient.finish().status_code == 302
    log_in(client, world.therapist_username, PASSWORD)
    view = unescape(
        client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    )
    assert "My therapist and I respect each other." in view  # the latest answers, item by item
    assert "____" not in view
