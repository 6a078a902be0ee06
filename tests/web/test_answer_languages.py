"""A patient who switches language in the middle of a questionnaire: each answer keeps the
language its page was answered in, and the behandler's pre-session view, the FHIR export and
the patient's own data export say so (docs/fhir.md, docs/patient-journey.md).

PHQ-9's first page has no risk question (on PostgreSQL it is saved on the direct path) and
its second has one (saved through the session on both databases), so both save paths write
the language, a new answer and a changed one."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.fhir_validation import assert_valid_r4
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation

FIRST_PAGE = [f"phq9_{n}" for n in range(1, 6)]
SECOND_PAGE = [f"phq9_{n}" for n in range(6, 11)]
# The standard extension for the language of a string element (FHIR extensions pack).
EXT_LANGUAGE = "http://hl7.org/fhir/StructureDefinition/language"


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _switch(patient: Patient, page: int, lang: str) -> None:
    """The patient follows the page's language link (a GET with ``lang``)."""
    shown = patient.client.get(f"/p/answer/{page}?lang={lang}")
    assert shown.status_code == 200


def _answer(patient: Patient, page: int, link_ids: list[str], code: str) -> None:
    saved = patient.answer_page(page, {k: code for k in link_ids})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]


def _therapist(app: Flask, world: World) -> FlaskClient:
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    return therapist


def _fhir_items(app: Flask, world: World) -> dict[str, dict[str, Any]]:
    bundle = _therapist(app, world).get(f"/fhir/episodes/{world.episode_id}/Bundle")
    assert bundle.status_code == 200
    responses = [
        entry["resource"]
        for entry in bundle.get_json(force=True)["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert len(responses) == 1
    assert_valid_r4(responses[0])
    return {item["linkId"]: item for item in responses[0]["item"]}


def _item_language(item: dict[str, Any]) -> str | None:
    for extension in item.get("_text", {}).get("extension", []):
        if extension["url"] == EXT_LANGUAGE:
            return str(extension["valueCode"])
    return None


def _exported_answers(app: Flask, world: World) -> dict[str, dict[str, Any]]:
    admin_user = make_staff(_db(app), (Role.ADMIN, None), name="Ada Admin")
    admin = app.test_client()
    log_in(admin, admin_user.username, PASSWORD)
    page = admin.get(f"/admin/patients?unit={world.unit_id}&lang=en").get_data(as_text=True)
    download = admin.post(
        f"/admin/patients/{world.patient_id}/export",
        data={"csrf_token": csrf_token(page), "unit": world.unit_id},
    )
    assert download.status_code == 200
    exported = json.loads(download.get_data(as_text=True))
    (response,) = exported["episodes"][0]["responses"]
    return {answer["item"]: answer for answer in response["answers"]}


def test_a_questionnaire_answered_in_nynorsk_then_english_keeps_each_answers_language(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token, lang="nn")
    assert patient.start().status_code == 302
    _answer(patient, 1, FIRST_PAGE, "1")
    _switch(patient, 2, "en")
    _answer(patient, 2, SECOND_PAGE, "0")
    assert patient.finish().status_code == 302

    view = _therapist(app, world).get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert view.status_code == 200
    assert "Answered in more than one language: Nynorsk, English" in view.get_data(as_text=True)
    in_bokmaal = _therapist(app, world).get(f"/clinician/episodes/{world.episode_id}?lang=nb")
    assert "Besvart på flere språk: nynorsk, engelsk" in in_bokmaal.get_data(as_text=True)

    items = _fhir_items(app, world)
    assert {k: _item_language(items[k]) for k in FIRST_PAGE} == dict.fromkeys(FIRST_PAGE, "nn")
    assert {k: _item_language(items[k]) for k in SECOND_PAGE} == dict.fromkeys(SECOND_PAGE, "en")
    # Each item's text, and its answer's display, is the one the patient read.
    assert items["phq9_1"]["text"].startswith("Lite interesse")
    assert items["phq9_1"]["answer"][0]["valueCoding"]["display"] == "Fleire dagar"
    assert items["phq9_6"]["answer"][0]["valueCoding"]["display"] == "Not at all"

    answers = _exported_answers(app, world)
    assert {k: answers[k]["language"] for k in FIRST_PAGE + SECOND_PAGE} == {
        **dict.fromkeys(FIRST_PAGE, "nn"),
        **dict.fromkeys(SECOND_PAGE, "en"),
    }


def test_a_changed_answer_takes_the_language_it_was_changed_in_and_the_others_keep_theirs(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token, lang="en")
    assert patient.start().status_code == 302
    _answer(patient, 1, FIRST_PAGE, "1")
    _answer(patient, 2, SECOND_PAGE, "0")
    # Back to both pages in bokmål: one answer changed on each, the others sent again as they were.
    _switch(patient, 1, "nb")
    changed_first = patient.answer_page(1, {**dict.fromkeys(FIRST_PAGE, "1"), "phq9_2": "3"})
    assert changed_first.status_code == 302
    changed_second = patient.answer_page(2, {**dict.fromkeys(SECOND_PAGE, "0"), "phq9_7": "2"})
    assert changed_second.status_code == 302
    assert patient.finish().status_code == 302

    view = _therapist(app, world).get(f"/clinician/episodes/{world.episode_id}?lang=nn")
    assert "Svara på fleire språk: bokmål, engelsk" in view.get_data(as_text=True)
    items = _fhir_items(app, world)
    languages = {k: _item_language(items[k]) for k in FIRST_PAGE + SECOND_PAGE}
    assert languages == {
        **dict.fromkeys(FIRST_PAGE + SECOND_PAGE, "en"),
        "phq9_2": "nb",
        "phq9_7": "nb",
    }
    assert items["phq9_2"]["answer"][0]["valueCoding"]["display"] == "Nesten hver dag"


def test_a_questionnaire_answered_in_one_language_gets_no_note(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token, lang="nn")
    patient.start()
    patient.answer_all("phq9", "1")
    assert patient.finish().status_code == 302
    view = _therapist(app, world).get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert "Answered in more than one language" not in view.get_data(as_text=True)
    items = _fhir_items(app, world)
    assert {_item_language(items[k]) for k in FIRST_PAGE + SECOND_PAGE} == {"nn"}
