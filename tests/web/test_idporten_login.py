"""Patients' later visits through ID-porten, at the HTTP level against a real OpenID Connect
provider on loopback: the therapist registers the national identity number, the patient logs
in and gets the progress grant a one-time code gives; every refusal (state, acr, unknown or
closed, provider down) is a calm translated page and no grant; the number is never stored or
logged in clear."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from fit_platform.config import load_settings
from fit_platform.config_error import ConfigurationError
from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Episode, EpisodeTherapist, Patient
from fit_platform.domain.codes import EpisodeStatus, InvitationState, Role
from fit_platform.domain.national_id import with_check_digits
from tests.conftest import make_test_app
from tests.support.factories import (
    PASSWORD,
    World,
    add_history,
    make_invitation,
    make_staff,
    make_unit,
)
from tests.support.html import csrf_token, log_in
from tests.support.oidc import log_in_at_provider, oidc_provider, use_idporten
from tests.support.patient import Patient as Browser
from tests.support.patient import now

CALLBACK = "http://localhost/p/idporten/callback"


def national_id(birth_date: str) -> str:
    """A number with valid check digits for `birth_date` (DDMMYY, offsets included)."""
    for individual in range(500, 1000):
        number = with_check_digits(f"{birth_date}{individual:03d}")
        if number is not None:
            return number
    raise AssertionError("no number for this date")


REAL = national_id("150765")  # an ordinary fødselsnummer
TENOR = national_id("159165")  # Skatteetaten's synthetic test number (month + 80)
D_NUMBER = national_id("550765")  # D-number (day + 40)


@pytest.fixture
def idporten_app(database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    app = make_test_app(database_url, tmp_path / "instance", public_base_url="http://localhost")
    with oidc_provider(CALLBACK) as issuer:
        use_idporten(app, issuer)
        yield app, issuer
    app.extensions["fit_db"].dispose()


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _register(app: Flask, number: str, *, unit_id: int | None = None) -> tuple[int, object]:
    """A therapist registers a patient with `number` on the registration page."""
    db = _db(app)
    unit_id = unit_id or make_unit(db).id
    therapist = make_staff(db, (Role.THERAPIST, unit_id))
    client = app.test_client()
    log_in(client, therapist.username, PASSWORD)
    page = client.get("/clinician/register?lang=en").get_data(as_text=True)
    response = client.post(
        "/clinician/register?lang=en",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "Kari Nordmann",
            "phone": "+47 912 34 567",
            "email": "",
            "language": "nb",
            "channel": "sms",
            "unit": str(unit_id),
            "started_on": "2026-11-25",
            "national_id": number,
        },
    )
    with db.session() as session:
        found = session.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1))
    return found or 0, response


def _button_token(html: str) -> str:
    found = re.search(r'name="idporten-csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no ID-porten button"
    return found.group(1)


def _start(client: FlaskClient) -> str:
    page = client.get("/p/progress?lang=en")
    assert page.status_code == 200
    token = _button_token(page.get_data(as_text=True))
    response = client.post("/p/idporten", data={"idporten-csrf_token": token})
    assert response.status_code == 303
    return str(response.headers["Location"])


def _callback(client: FlaskClient, returned: str) -> TestResponse:
    parts = urlsplit(returned)
    assert parts.path == "/p/idporten/callback"
    return client.get(f"{parts.path}?{parts.query}")


def _sees_progress(client: FlaskClient) -> bool:
    return "Your progress" in client.get("/p/progress?lang=en").get_data(as_text=True)


def test_a_registered_patient_logs_in_with_idporten_and_sees_their_progress(
    idporten_app: tuple[Flask, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, issuer = idporten_app
    caplog.set_level(logging.INFO)
    patient_id, registered = _register(app, f"{TENOR[:6]} {TENOR[6:]}")
    assert registered.status_code == 302  # type: ignore[attr-defined]
    client = app.test_client()
    page = client.get("/p/progress?lang=en")
    assert "Log in with ID-porten" in page.get_data(as_text=True)
    assert f"form-action 'self' {issuer}" in page.headers["Content-Security-Policy"]
    location = _start(client)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(issuer)
    assert query["acr_values"] == ["idporten-loa-substantial"]
    assert query["ui_locales"] == ["en"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [CALLBACK]
    assert not _sees_progress(client)

    done = _callback(client, log_in_at_provider(location, TENOR))
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/p/progress")
    assert _sees_progress(client)

    with _db(app).session() as session:
        stored = session.get_one(Patient, patient_id).national_id_hash
    assert stored is not None and len(stored) == 64 and TENOR not in stored
    logged = " ".join(str(record.__dict__) for record in caplog.records)
    assert TENOR not in logged and TENOR[:6] not in logged.replace(stored, "")
    assert f"'event': 'idporten_login_ok', 'patient_id': {patient_id}" in logged


def test_a_d_number_logs_in_at_the_high_level_when_the_service_asks_for_it(
    idporten_app: tuple[Flask, str],
) -> None:
    app, issuer = idporten_app
    use_idporten(app, issuer, acr_values="idporten-loa-high")
    _register(app, D_NUMBER)
    client = app.test_client()
    location = _start(client)
    assert parse_qs(urlsplit(location).query)["acr_values"] == ["idporten-loa-high"]
    done = _callback(client, log_in_at_provider(location, f"{D_NUMBER}@idporten-loa-high"))
    assert done.status_code == 302
    assert _sees_progress(client)


def _refused(client: FlaskClient, response: object, status: int, text: str) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert text in body
    assert "Traceback" not in body
    assert "Log in with ID-porten" in body  # the way to try again
    assert not _sees_progress(client)


def test_a_tampered_state_is_refused(idporten_app: tuple[Flask, str]) -> None:
    app, _issuer = idporten_app
    _register(app, REAL)
    client = app.test_client()
    returned = log_in_at_provider(_start(client), REAL)
    tampered = returned.replace("state=", "state=x")
    _refused(client, _callback(client, tampered), 401, "did not succeed")


def test_a_login_below_the_required_level_is_refused(idporten_app: tuple[Flask, str]) -> None:
    app, issuer = idporten_app
    _register(app, REAL)
    client = app.test_client()
    low = log_in_at_provider(_start(client), f"{REAL}@idporten-loa-low")
    _refused(client, _callback(client, low), 401, "needs a more secure login")
    use_idporten(app, issuer, acr_values="idporten-loa-high")
    client = app.test_client()
    substantial = log_in_at_provider(_start(client), f"{REAL}@idporten-loa-substantial")
    _refused(client, _callback(client, substantial), 401, "needs a more secure login")


NEUTRAL = "We found no ongoing treatment with questionnaires for you here"


def test_an_unknown_number_and_an_ended_treatment_get_the_same_neutral_answer(
    idporten_app: tuple[Flask, str],
) -> None:
    app, _issuer = idporten_app
    patient_id, _response = _register(app, REAL)
    client = app.test_client()
    unknown = log_in_at_provider(_start(client), national_id("010190"))
    _refused(client, _callback(client, unknown), 403, NEUTRAL)
    with _db(app).transaction() as session:
        session.execute(
            update(Episode)
            .where(Episode.patient_id == patient_id)
            .values(status=EpisodeStatus.ENDED)
        )
    client = app.test_client()
    ended = log_in_at_provider(_start(client), REAL)
    response = _callback(client, ended)
    _refused(client, response, 403, NEUTRAL)


def test_after_the_close_the_progress_page_of_an_idporten_login_promises_no_reader(
    idporten_app: tuple[Flask, str],
) -> None:
    # Logged in without a link, she reads her latest episode: once an administrator closes
    # it, a clear worsening is no longer said to be seen by anyone at the clinic.
    app, _issuer = idporten_app
    db = _db(app)
    patient_id, _response = _register(app, REAL)
    with db.session() as session:
        episode = session.scalars(select(Episode).where(Episode.patient_id == patient_id)).one()
        world = World(episode.unit_id, 0, "", patient_id, episode.id)
    add_history(db, world, [19, 9, 18])  # 18 after 9: a clear change for the worse
    client = app.test_client()
    logged_in = _callback(client, log_in_at_provider(_start(client), REAL))
    assert logged_in.status_code == 302
    before = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "Your therapist sees your scores too" in before
    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    url = f"/admin/units/{world.unit_id}/episodes"
    token = csrf_token(admin.get(url).get_data(as_text=True))
    closing = admin.post(f"{url}/{world.episode_id}/close", data={"csrf_token": token})
    assert closing.status_code == 302
    after = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "Your progress" in after
    assert "nobody at the clinic follows your scores now" in after
    assert "sees your scores too" not in after


def test_a_callback_nobody_started_and_a_provider_that_is_down_get_a_clear_page(
    idporten_app: tuple[Flask, str],
) -> None:
    app, _issuer = idporten_app
    client = app.test_client()
    stray = client.get("/p/idporten/callback?code=x&state=y&lang=en")
    _refused(client, stray, 400, "started in another window")
    # A provider that does not answer: nothing listens on port 9 of loopback.
    app.config["FIT_SETTINGS"] = dataclasses.replace(
        app.config["FIT_SETTINGS"], idporten_issuer="http://127.0.0.1:9"
    )
    token = _button_token(client.get("/p/progress?lang=en").get_data(as_text=True))
    down = client.post("/p/idporten?lang=en", data={"idporten-csrf_token": token})
    _refused(client, down, 503, "ID-porten could not be reached")


def test_the_login_needs_the_button_form_and_a_configured_provider(
    idporten_app: tuple[Flask, str], app: Flask
) -> None:
    configured, _issuer = idporten_app
    assert configured.test_client().post("/p/idporten").status_code == 400  # no CSRF token
    # Without ID-porten: no routes, and no number asked for at registration.
    assert app.test_client().get("/p/idporten/callback").status_code == 404
    unit = make_unit(_db(app))
    therapist = make_staff(_db(app), (Role.THERAPIST, unit.id))
    client = app.test_client()
    log_in(client, therapist.username, PASSWORD)
    page = client.get("/clinician/register?lang=en")
    assert page.status_code == 200
    assert "Register a patient" in page.get_data(as_text=True)
    assert 'name="national_id"' not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1234567890", "A national identity number has 11 digits."),
        ("32136512345", "must be a date of birth"),
        (REAL[:-1] + str((int(REAL[-1]) + 1) % 10), "a digit is probably mistyped"),
    ],
)
def test_a_mistyped_number_is_refused_with_a_clear_message_and_nothing_saved(
    idporten_app: tuple[Flask, str], number: str, message: str
) -> None:
    app, _issuer = idporten_app
    with _db(app).session() as session:
        before = session.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1))
    _patient, response = _register(app, number)
    assert response.status_code == 422  # type: ignore[attr-defined]
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert message in body and "Kari Nordmann" in body  # what was typed is kept
    with _db(app).session() as session:
        assert session.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1)) == before


def test_production_refuses_test_numbers_and_a_second_registration_in_the_unit(
    idporten_app: tuple[Flask, str],
) -> None:
    app, _issuer = idporten_app
    unit = make_unit(_db(app))
    first, _response = _register(app, REAL, unit_id=unit.id)
    _again, twice = _register(app, REAL, unit_id=unit.id)
    assert twice.status_code == 422  # type: ignore[attr-defined]
    assert "already registered in this unit" in twice.get_data(as_text=True)  # type: ignore[attr-defined]
    other_unit, elsewhere = _register(app, REAL)  # another unit: registered without a word
    assert elsewhere.status_code == 302 and other_unit != first  # type: ignore[attr-defined]
    app.config["FIT_SETTINGS"] = dataclasses.replace(
        app.config["FIT_SETTINGS"], national_id_test_numbers=False
    )
    _patient, synthetic = _register(app, TENOR)
    assert synthetic.status_code == 422  # type: ignore[attr-defined]
    assert "synthetic test number" in synthetic.get_data(as_text=True)  # type: ignore[attr-defined]


def test_configuration_needs_the_client_a_hash_key_and_a_known_level(tmp_path: Path) -> None:
    base = {
        "FIT_ENV": "production",
        "FIT_INSTANCE_PATH": str(tmp_path),
        "FIT_DATABASE_URL": "sqlite://",
        "FIT_SECRET_KEY": "s" * 40,
        "FIT_TOTP_ENCRYPTION_KEY": "8Yb8q0b0rA0pYvJ3mXcN1kq7r7m2cGxS0Jx0bqkQxk0=",
        "FIT_PUBLIC_BASE_URL": "https://fit.example.no",
        "FIT_IDPORTEN_ISSUER": "https://idporten.no/",
    }
    with pytest.raises(ConfigurationError, match="FIT_IDPORTEN_CLIENT_ID"):
        load_settings(base)
    client = {**base, "FIT_IDPORTEN_CLIENT_ID": "c", "FIT_IDPORTEN_CLIENT_SECRET": "s"}
    with pytest.raises(ConfigurationError, match="FIT_PATIENT_ID_HASH_KEY"):
        load_settings(client)
    keyed = {**client, "FIT_PATIENT_ID_HASH_KEY": "k" * 43}
    with pytest.raises(ConfigurationError, match="FIT_IDPORTEN_ACR_VALUES"):
        load_settings({**keyed, "FIT_IDPORTEN_ACR_VALUES": "Level3"})
    settings = load_settings(keyed)
    assert settings.idporten_enabled and not settings.national_id_test_numbers
    assert settings.idporten_acr_values == "idporten-loa-substantial"


def _contact_page_post(app: Flask, patient_id: int, number: str) -> TestResponse:
    """The patient's own therapist adds or replaces the number on the contact details page."""
    db = _db(app)
    with db.session() as session:
        episode = session.scalars(select(Episode).where(Episode.patient_id == patient_id)).one()
        episode_id, unit_id = episode.id, episode.unit_id
    therapist = make_staff(db, (Role.THERAPIST, unit_id))
    with db.transaction() as session:
        session.add(EpisodeTherapist(episode_id=episode_id, staff_id=therapist.id))
    client = app.test_client()
    log_in(client, therapist.username, PASSWORD)
    path = f"/clinician/episodes/{episode_id}/contact?lang=en"
    page = client.get(path).get_data(as_text=True)
    assert "National identity number for ID-porten" in page
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(page),
            "phone": "+47 912 34 567",
            "email": "",
            "language": "nb",
            "channel": "sms",
            "national_id": number,
        },
    )


def test_a_patient_registered_without_a_number_gets_one_on_the_contact_page_then_logs_in(
    idporten_app: tuple[Flask, str],
) -> None:
    app, _issuer = idporten_app
    patient_id, registered = _register(app, "")
    assert registered.status_code == 302  # type: ignore[attr-defined]
    with _db(app).session() as session:
        assert session.get_one(Patient, patient_id).national_id_hash is None
    saved = _contact_page_post(app, patient_id, TENOR)
    assert saved.status_code == 302
    with _db(app).session() as session:
        audit = session.scalars(
            select(AdminAudit).where(AdminAudit.action == "patient_contact_corrected")
        ).one()
    assert audit.after is not None
    assert json.loads(audit.after) == {"national_id": "added"}  # the word, never the number
    client = app.test_client()
    done = _callback(client, log_in_at_provider(_start(client), TENOR))
    assert done.headers["Location"].endswith("/p/progress")
    assert _sees_progress(client)


def test_the_contact_page_refuses_a_number_another_patient_in_the_unit_has(
    idporten_app: tuple[Flask, str],
) -> None:
    app, _issuer = idporten_app
    first_id, _ = _register(app, TENOR)
    with _db(app).session() as session:
        unit_id = session.scalars(
            select(Episode.unit_id).where(Episode.patient_id == first_id)
        ).one()
    second_id, _ = _register(app, "", unit_id=unit_id)
    refused = _contact_page_post(app, second_id, TENOR)
    assert refused.status_code == 422
    assert "National identity number" in refused.get_data(as_text=True)
    with _db(app).session() as session:
        assert session.get_one(Patient, second_id).national_id_hash is None


def test_idporten_on_the_crisis_plan_step_of_a_closed_link_opens_the_crisis_plan(
    idporten_app: tuple[Flask, str],
) -> None:
    """The code step of "My crisis plan" offers ID-porten too; it leads on to the plan."""
    app, _issuer = idporten_app
    patient_id, _ = _register(app, TENOR)
    with _db(app).session() as session:
        episode = session.scalars(select(Episode).where(Episode.patient_id == patient_id)).one()
        world = World(episode.unit_id, 0, "", patient_id, episode.id)
    _invitation, token = make_invitation(
        _db(app), world, due_at=now() - dt.timedelta(hours=1), state=InvitationState.CANCELLED
    )
    client = app.test_client()
    Browser(client, token).post(f"/p/{token}", {"action": "choices"})
    assert client.get("/p/my-crisis-plan").headers["Location"] == "/p/progress"
    step = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "<h1>My crisis plan</h1>" in step and "to show that it is you" in step
    done = _callback(client, log_in_at_provider(_start(client), TENOR))
    assert done.headers["Location"].endswith("/p/my-crisis-plan")
    assert "Save my crisis plan" in client.get("/p/my-crisis-plan?lang=en").get_data(as_text=True)
