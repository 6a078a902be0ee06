"""A patient logs out of their progress page, at the HTTP level against a real OpenID Connect
provider: the grant ends at once; after an ID-porten login the page offers ID-porten's own
logout (with our client id, never the ID token, which would stay in the browser's history);
the provider being away ends nothing less here. The browser half, through ID-porten's pages, is in
tests/browser/test_idporten_login.py."""

from __future__ import annotations

import logging
import re
from html import unescape as html_unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Invitation
from fit_platform.domain.codes import InvitationState, Language
from fit_platform.services import one_time_codes
from tests.support.factories import add_history, make_world
from tests.support.html import csrf_token
from tests.support.oidc import CLIENT_ID, log_in_at_provider, use_idporten
from tests.support.patient import Patient, now, open_invitation
from tests.web.test_idporten_login import (
    TENOR,
    _callback,
    _register,
    _sees_progress,
    _start,
    idporten_app,
)

__all__ = ["idporten_app"]  # the fixture, shared with the login tests


def _logout_token(html: str) -> str:
    found = re.search(r'name="logout-csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the progress page has no Log out button"
    return found.group(1)


def _logged_in(app: Flask) -> FlaskClient:
    _register(app, TENOR)
    client = app.test_client()
    done = _callback(client, log_in_at_provider(_start(client), TENOR))
    assert done.status_code == 302
    assert _sees_progress(client)
    return client


def test_logging_out_ends_the_grant_and_offers_idportens_own_logout_as_a_form(
    idporten_app: tuple[Flask, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, issuer = idporten_app
    caplog.set_level(logging.INFO)
    client = _logged_in(app)
    progress = client.get("/p/progress?lang=en")
    html = progress.get_data(as_text=True)
    assert "Log out" in html and "log out when you are done" in html

    out = client.post("/p/logout?lang=en", data={"logout-csrf_token": _logout_token(html)})
    assert out.status_code == 200
    page = out.get_data(as_text=True)
    assert "You are logged out" in page and "You are still logged in to ID-porten" in page
    link = re.search(r'<a class="button" href="([^"]+)">Log out of ID-porten</a>', page)
    assert link, "no way to ID-porten's logout"
    at_idporten = urlsplit(html_unescape(link.group(1)))
    assert f"{at_idporten.scheme}://{at_idporten.netloc}{at_idporten.path}" == (
        f"{issuer}/session/end"
    )
    # Our client and return address, and no ID token: a URL stays in the browser's history.
    assert parse_qs(at_idporten.query) == {
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": ["http://localhost/p/logged-out"],
    }
    assert out.headers["Cache-Control"] == "no-store"
    assert not _sees_progress(client)  # ended here at once, whatever the patient does next

    logged = " ".join(str(record.__dict__) for record in caplog.records)
    assert "'event': 'patient_logout'" in logged and "'idporten': True" in logged
    assert TENOR not in logged
    # Back from ID-porten: the plain page.
    back = client.get("/p/logged-out?lang=en")
    assert back.status_code == 200 and "You are logged out" in back.get_data(as_text=True)
    assert "session/end" not in back.get_data(as_text=True)


def test_the_logout_needs_its_form_and_works_when_idporten_is_away(
    idporten_app: tuple[Flask, str],
) -> None:
    app, _issuer = idporten_app
    client = _logged_in(app)
    html = client.get("/p/progress?lang=en").get_data(as_text=True)
    forged = client.post("/p/logout?lang=en")
    assert forged.status_code == 400 and "Traceback" not in forged.get_data(as_text=True)
    assert _sees_progress(client)  # a forged form ends nothing
    # ID-porten cannot be reached (nothing listens on port 9): our part still ends.
    use_idporten(app, "http://127.0.0.1:9")
    out = client.post("/p/logout?lang=en", data={"logout-csrf_token": _logout_token(html)})
    assert out.status_code == 303 and out.headers["Location"] == "/p/logged-out"
    assert not _sees_progress(client)


def test_a_patient_with_a_code_grant_logs_out_to_the_plain_page(app: Flask, db: Database) -> None:
    world = make_world(db)
    add_history(db, world, [19, 11])
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    client = app.test_client()
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "progress"})
    patient.post("/p/progress", {"action": "send"})
    with db.transaction() as session:
        code = one_time_codes.mint_code(session, world.patient_id, now())
    assert patient.post("/p/progress", {"action": "verify", "verify-code": code}).status_code == 302
    html = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "Your score has gone down from 19 to 11" in html

    out = client.post("/p/logout?lang=en", data={"logout-csrf_token": _logout_token(html)})
    assert out.status_code == 303 and out.headers["Location"] == "/p/logged-out"
    page = client.get("/p/logged-out?lang=nn").get_data(as_text=True)
    assert "Du er logga ut" in page and "ID-porten" not in page
    # The same word for "your progress" as the page the patient just left.
    assert "Utviklinga di blir ikkje lenger vist" in page
    # The grant and the link are both gone from this browser.
    assert client.get("/p/progress?lang=en").status_code == 403
    assert client.get("/p/").status_code == 403


def test_a_patient_keeps_their_language_after_logging_out(app: Flask, db: Database) -> None:
    """The language is a preference, not who the patient is: a nynorsk reader on a browser set
    to English reads the page that says they are logged out, and the next link they open, in
    nynorsk (the link's own page would say so anyway; a mistyped one knows no patient)."""
    world = make_world(db, language=Language.NYNORSK)
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    landing = client.get(f"/p/{token}").get_data(as_text=True)
    assert 'lang="nn"' in landing
    data = {"csrf_token": csrf_token(landing), "action": "progress"}
    assert client.post(f"/p/{token}", data=data).status_code == 302
    client.post("/p/progress", data={"csrf_token": data["csrf_token"], "action": "send"})
    with db.transaction() as session:
        code = one_time_codes.mint_code(session, world.patient_id, now())
    verify = {"csrf_token": data["csrf_token"], "action": "verify", "verify-code": code}
    assert client.post("/p/progress", data=verify).status_code == 302
    html = client.get("/p/progress").get_data(as_text=True)
    assert 'lang="nn"' in html

    out = client.post("/p/logout", data={"logout-csrf_token": _logout_token(html)})
    assert out.status_code == 303
    page = client.get("/p/logged-out").get_data(as_text=True)
    assert 'lang="nn"' in page and "Du er logga ut" in page
    mistyped = client.get(f"/p/{token[:-4]}")
    assert mistyped.status_code == 404
    assert "Vi finn ikkje denne lenkja" in mistyped.get_data(as_text=True)
    # Logging out still ended the visit: the language is all this browser keeps.
    assert client.get("/p/progress").status_code == 403
    assert client.get("/p/").status_code == 403
