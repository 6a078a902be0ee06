"""Logging out ends the patient's session on the server, not only in the browser that asked.

A copy of the patient's cookie taken before (a shared or family computer, a synced browser
profile, someone who copied it) used to keep working for the rest of the 30-minute progress
grant, and the opened link for as long as the link was open: logging out only emptied the
cookie of the browser that logged out. Each test copies the cookie into a second browser,
ends the session in the first, and replays the copy. The check rides on the link read every
patient page makes anyway (tests/web/test_patient_page_statements.py keeps its count).
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.models import InvitationToken
from tests.support.factories import add_history, make_world
from tests.support.oidc import log_in_at_provider
from tests.support.patient import Patient, now, open_invitation
from tests.web.test_idporten_login import TENOR, _callback, _register, _start, idporten_app

__all__ = ["idporten_app"]  # the fixture, shared with the login tests

ENDED = "This visit has ended"
# The patient pages a cookie can open: each must refuse the copy, none with an error.
PATIENT_PAGES = ["/p/", "/p/answer/1", "/p/done", "/p/progress", "/p/choices", "/p/goals"]


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of the first one's cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def _log_out(client: FlaskClient) -> None:
    page = client.get("/p/progress?lang=en").get_data(as_text=True)
    token = re.search(r'name="logout-csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no Log out button"
    out = client.post("/p/logout?lang=en", data={"logout-csrf_token": token.group(1)})
    # 303 to the plain page; 200 with ID-porten's own logout button after an ID-porten login.
    assert out.status_code in (200, 303)


def _refused(copy: FlaskClient, path: str) -> None:
    response = copy.get(f"{path}?lang=en")
    assert response.status_code in (403, 410), (path, response.status_code)
    text = response.get_data(as_text=True)
    assert "Your score" not in text and "Traceback" not in text


def test_a_copied_cookie_is_refused_once_the_patient_has_logged_out(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    add_history(db, world, [19, 11])
    _invitation_id, token = open_invitation(db, world)
    client = app.test_client()
    patient = Patient(client, token)
    assert patient.start().status_code == 302
    patient.answer_all("phq9")
    assert patient.finish().status_code == 302
    copy = _copy(app, client)
    # The copy works as the original does, until the patient logs out.
    assert "Your score" in copy.get("/p/done?lang=en").get_data(as_text=True)

    _log_out(client)

    ended = copy.get("/p/done?lang=en")
    assert ended.status_code == 410
    assert ENDED in ended.get_data(as_text=True)
    # No way on from there that this browser can no longer open (the choices need the link).
    assert "/p/choices" not in ended.get_data(as_text=True)
    for path in PATIENT_PAGES:
        _refused(copy, path)
    # The link from the message still opens again, in a fresh session.
    again = Patient(app.test_client(), token)
    assert again.post(f"/p/{token}", {"action": "choices"}).status_code == 302
    assert again.client.get("/p/choices?lang=en").status_code == 200


def test_a_copy_of_a_half_answered_session_is_refused_after_logging_out(
    app: Flask, db: Database
) -> None:
    _invitation_id, token = open_invitation(db, make_world(db))
    client = app.test_client()
    patient = Patient(client, token)
    assert patient.start().status_code == 302
    assert patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)}).status_code == 302
    copy = _copy(app, client)
    assert copy.get("/p/answer/2?lang=en").status_code == 200
    # Logging out from the answering pages: the same form as on the progress page.
    assert patient.post("/p/logout", {"logout-csrf_token": patient.csrf}).status_code == 303

    page = copy.get("/p/answer/2?lang=en")
    assert page.status_code == 410 and ENDED in page.get_data(as_text=True)
    for path in PATIENT_PAGES:
        _refused(copy, path)
    # The patient comes back with the link from the message: the saved page is kept.
    back = Patient(app.test_client(), token)
    resumed = back.start()
    assert resumed.status_code == 302 and resumed.headers["Location"].endswith("/p/answer/2")


def test_a_revoked_link_ends_the_session_it_opened(
    client: FlaskClient, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    _invitation_id, token = open_invitation(db, make_world(db))
    patient = Patient(client, token)
    assert patient.start().status_code == 302
    assert client.get("/p/choices?lang=en").status_code == 200
    with db.transaction() as session:
        session.execute(update(InvitationToken).values(revoked_at=now()))
    for path in ("/p/choices", "/p/answer/1", "/p/goals"):
        response = client.get(f"{path}?lang=en")
        assert response.status_code in (403, 410), path
    assert token not in caplog.text


def test_a_copied_idporten_login_is_refused_once_the_patient_has_logged_out(
    idporten_app: tuple[Flask, str],
) -> None:
    app, _issuer = idporten_app
    _register(app, TENOR)
    client = app.test_client()
    assert _callback(client, log_in_at_provider(_start(client), TENOR)).status_code == 302
    copy = _copy(app, client)
    assert "Log out" in copy.get("/p/progress?lang=en").get_data(as_text=True)

    _log_out(client)

    page = copy.get("/p/progress?lang=en")
    assert page.status_code == 410 and ENDED in page.get_data(as_text=True)
