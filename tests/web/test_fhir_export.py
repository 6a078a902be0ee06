"""FHIR out, through the web: the Questionnaires at their canonical URLs, an episode's Bundle
for the therapist, each resource checked by the official R4 JSON Schema and fhir.resources."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from fit_platform.db import Database
from fit_platform.domain.instruments import default_instruments
from tests.conftest import make_test_app
from tests.support.factories import PASSWORD, add_history, make_world
from tests.support.fhir_validation import assert_valid_r4
from tests.support.html import log_in

BASE = "https://fit.helse-test.no/fhir"
EPR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"  # an example: the unit's EPR, set by configuration
NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def fhir_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(
        database_url,
        tmp_path / "instance",
        fhir_base=BASE,
        fhir_patient_identifier_system=EPR_SYSTEM,
    )
    app.extensions["fit_clock"] = lambda: NOW
    yield app
    app.extensions["fit_db"].dispose()


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


@pytest.mark.parametrize("instrument_id", sorted(default_instruments()))
def test_every_questionnaire_is_served_at_its_canonical_url_in_each_language(
    fhir_app: Flask, instrument_id: str
) -> None:
    client = fhir_app.test_client()
    inst = default_instruments()[instrument_id]
    response = client.get(f"/fhir/Questionnaire/{instrument_id}")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    resource = response.get_json(force=True)
    assert resource["url"] == f"{BASE}/Questionnaire/{instrument_id}"
    assert resource["url"].removeprefix(BASE) == f"/Questionnaire/{instrument_id}"
    assert_valid_r4(resource)
    tags = {"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}
    for lang, tag in tags.items():
        one = client.get(f"/fhir/Questionnaire/{resource['id']}-{tag}")
        if lang not in inst.languages:
            assert one.status_code == 404
            continue
        single = one.get_json(force=True)
        assert single["language"] == tag
        assert single["title"] == inst.title[lang]
        assert "_title" not in single and "_text" not in json.dumps(single)
        assert single["derivedFrom"] == [f"{resource['url']}|{inst.version}"]
        assert_valid_r4(single)


def test_phq9_and_gad7_carry_their_loinc_codes(fhir_app: Flask) -> None:
    client = fhir_app.test_client()
    phq9 = client.get("/fhir/Questionnaire/phq9").get_json(force=True)
    gad7 = client.get("/fhir/Questionnaire/gad7").get_json(force=True)
    assert phq9["code"][0] == {
        "system": "http://loinc.org",
        "code": "44249-1",
        "display": "PHQ-9 quick depression assessment panel [Reported.PHQ]",
    }
    assert [item["code"][0]["code"] for item in phq9["item"] if "code" in item] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
        "44258-2", "44252-5", "44253-3", "44260-8", "69722-7",
    ]  # fmt: skip
    assert gad7["code"][0]["code"] == "69737-5"
    assert [item["code"][0]["code"] for item in gad7["item"] if "code" in item] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
    ]  # fmt: skip


def test_an_unknown_questionnaire_is_404(fhir_app: Flask) -> None:
    client = fhir_app.test_client()
    for path in ("/fhir/Questionnaire/nope", "/fhir/Questionnaire/phq9-de-DE",
                 "/fhir/Questionnaire/core10-nb-NO", "/fhir/Questionnaire/%00"):  # fmt: skip
        assert client.get(path).status_code == 404, path


def test_the_therapist_downloads_the_episode_as_a_valid_bundle(fhir_app: Flask) -> None:
    db = _db(fhir_app)
    world = make_world(db)
    add_history(db, world, [19, 14])
    add_history(db, world, [12], "gad7", start=dt.datetime(2026, 7, 1, 8, tzinfo=dt.UTC))
    client = fhir_app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    response = client.get(f"/fhir/episodes/{world.episode_id}/Bundle")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store"
    bundle = response.get_json(force=True)
    assert_valid_r4(bundle)
    assert bundle["timestamp"] == NOW.isoformat()
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds == ["QuestionnaireResponse", "Observation"] * 3
    for entry in bundle["entry"]:
        assert_valid_r4(entry["resource"])
        assert entry["fullUrl"].startswith("urn:uuid:")
        subject = entry["resource"]["subject"]
        assert subject["identifier"]["system"] == EPR_SYSTEM
        assert subject["identifier"]["value"].startswith("EPR-")
    first_response, first_total = bundle["entry"][0], bundle["entry"][1]["resource"]
    assert first_response["resource"]["questionnaire"] == f"{BASE}/Questionnaire/phq9|1.0.0"
    assert first_total["code"]["coding"][0]["code"] == "44261-6"
    assert first_total["valueQuantity"]["value"] == 19
    assert first_total["derivedFrom"] == [{"reference": first_response["fullUrl"]}]
    gad7_total = bundle["entry"][5]["resource"]
    assert gad7_total["code"]["coding"][0]["code"] == "70274-6"
    assert gad7_total["valueQuantity"]["value"] == 12
    # Nothing that identifies the person beyond the EPR's own id leaves.
    text = response.get_data(as_text=True)
    assert re.search(r"Patient \d", text) is None  # the factory's patient names
    assert "@example.org" not in text and "+4791" not in text
    # The same rows give the same entry ids: a re-export can be compared with the first.
    again = client.get(f"/fhir/episodes/{world.episode_id}/Bundle").get_json(force=True)
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]]


def test_the_bundle_needs_a_login(fhir_app: Flask) -> None:
    world = make_world(_db(fhir_app))
    response = fhir_app.test_client().get(f"/fhir/episodes/{world.episode_id}/Bundle")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]
