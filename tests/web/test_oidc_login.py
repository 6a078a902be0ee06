"""Staff login through the OpenID Connect provider, at the HTTP level: every broken callback
ends on our login page with a calm message and no session; the admin page refuses bad input
and other roles; a deployment without local passwords refuses the password form."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.config import load_settings
from fit_platform.config_error import ConfigurationError
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services.staff_identities import identity_links, link_identity
from tests.conftest import make_test_app
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.oidc import log_in_at_provider, oidc_provider, use_provider


@pytest.fixture
def oidc_app(database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    app = make_test_app(database_url, tmp_path / "instance", public_base_url="http://localhost")
    with oidc_provider("http://localhost/staff/login/provider/callback") as issuer:
        use_provider(app, issuer)
        yield app, issuer
    app.extensions["fit_db"].dispose()


def _start(client: FlaskClient) -> dict[str, list[str]]:
    token = csrf_token(client.get("/staff/login?lang=en").get_data(as_text=True))
    response = client.post("/staff/login/provider", data={"csrf_token": token})
    assert response.status_code == 303
    return parse_qs(urlsplit(response.headers["Location"]).query)


def test_the_authorization_request_uses_pkce_state_and_nonce(oidc_app: tuple[Flask, str]) -> None:
    app, issuer = oidc_app
    client = app.test_client()
    page = client.get("/staff/login?lang=en")
    assert "Log in with Test ID" in page.get_data(as_text=True)
    # The login page may send its form to the provider, and nowhere else outside.
    assert f"form-action 'self' {issuer}" in page.headers["Content-Security-Policy"]
    query = _start(client)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://localhost/staff/login/provider/callback"]


@pytest.mark.parametrize(
    "callback",
    [
        "?code=abc&state=not-the-one-we-sent",
        "?error=access_denied&state={state}",
        "?code=not-a-real-code&state={state}",
        "?state={state}",
    ],
)
def test_a_broken_callback_ends_on_the_login_page_with_no_session(
    oidc_app: tuple[Flask, str], callback: str
) -> None:
    app, _issuer = oidc_app
    client = app.test_client()
    state = _start(client)["state"][0]
    response = client.get(
        "/staff/login/provider/callback" + callback.format(state=state) + "&lang=en"
    )
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert "The login with Test ID did not succeed" in body
    assert "Traceback" not in body
    assert client.get("/clinician/").status_code == 302  # still not logged in


def test_a_callback_without_a_login_started_here_is_refused(oidc_app: tuple[Flask, str]) -> None:
    app, _issuer = oidc_app
    response = app.test_client().get("/staff/login/provider/callback?code=x&state=y&lang=en")
    assert response.status_code == 400
    assert "started in another window" in response.get_data(as_text=True)


def test_the_admin_page_refuses_a_duplicate_and_other_roles(oidc_app: tuple[Flask, str]) -> None:
    app, issuer = oidc_app
    db = app.extensions["fit_db"]
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    one = make_staff(db, (Role.THERAPIST, unit.id))
    two = make_staff(db, (Role.THERAPIST, unit.id))
    client = app.test_client()
    log_in(client, admin.username, PASSWORD)
    token = csrf_token(client.get("/admin/identities?lang=en").get_data(as_text=True))
    form = {"csrf_token": token, "staff_id": one.id, "subject": " hpr-1 "}
    done = client.post("/admin/identities", data=form)
    assert done.status_code == 302
    form = {"csrf_token": token, "staff_id": two.id, "subject": "hpr-1"}
    again = client.post("/admin/identities?lang=en", data=form)
    assert again.status_code == 400
    assert "already linked to a staff account" in again.get_data(as_text=True)
    form = {"csrf_token": token, "staff_id": 99999, "subject": "hpr-2"}
    unknown = client.post("/admin/identities?lang=en", data=form)
    assert unknown.status_code == 400
    assert [(link.staff_id, link.issuer, link.subject) for link in identity_links(db)] == [
        (one.id, issuer, "hpr-1")
    ]
    outsider = app.test_client()
    log_in(outsider, one.username, PASSWORD)
    assert outsider.get("/admin/identities").status_code == 403


def test_without_local_passwords_the_password_form_is_gone_and_refused(
    database_url: str, tmp_path: Path
) -> None:
    app = make_test_app(database_url, tmp_path / "instance")
    with oidc_provider("http://localhost/staff/login/provider/callback") as issuer:
        use_provider(app, issuer, local_passwords=False)
        client = app.test_client()
        page = client.get("/staff/login?lang=en").get_data(as_text=True)
        assert "Log in with Test ID" in page and 'name="password"' not in page
        token = csrf_token(page)
        refused = client.post(
            "/staff/login", data={"csrf_token": token, "username": "a@b.no", "password": "x"}
        )
        assert refused.status_code == 404
    app.extensions["fit_db"].dispose()


def test_configuration_needs_the_client_and_a_way_in(tmp_path: Path) -> None:
    base = {"FIT_ENV": "test", "FIT_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigurationError, match="FIT_OIDC_CLIENT_ID"):
        load_settings({**base, "FIT_OIDC_ISSUER": "https://helseid-sts.nhn.no"})
    with pytest.raises(ConfigurationError, match="nobody could log in"):
        load_settings({**base, "FIT_LOCAL_PASSWORDS": "false"})


def _send_late_and_log_in_through_the_provider(
    app: Flask, issuer: str, form_path: str, form: dict[str, str], *, page_path: str = ""
) -> tuple[FlaskClient, str, str]:
    """The therapist opens the page (the episode's view, or `page_path` below it), sends
    `form` to `form_path` below the episode 31 minutes later, and logs in again through the
    provider. Returns the client, the login page's HTML and the page login came back to."""
    db = app.extensions["fit_db"]
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    real_now = dt.datetime.now(dt.UTC)  # the provider's tokens are checked at the real time
    link_identity(
        db,
        admin_id=admin.id,
        staff_id=world.therapist_id,
        issuer=issuer,
        subject="hpr-7",
        now=real_now,
    )
    if "{signal}" in form_path:
        signal_id = add_signal(db, world, SignalCode.RISK_ANSWER)
        form_path = form_path.format(signal=signal_id)
    clock = {"now": real_now - dt.timedelta(minutes=31)}
    app.extensions["fit_clock"] = lambda: clock["now"]
    client = app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    episode = f"/clinician/episodes/{world.episode_id}"
    page = client.get(episode + page_path).get_data(as_text=True)
    clock["now"] = real_now
    sent = client.post(episode + form_path, data={"csrf_token": csrf_token(page), **form})
    login_page = client.get(sent.headers["Location"] + "&lang=en").get_data(as_text=True)
    button = re.search(r'action="([^"]+)"', login_page)
    assert button is not None
    started = client.post(
        button.group(1).replace("&amp;", "&"), data={"csrf_token": csrf_token(login_page)}
    )
    assert started.status_code == 303
    returned = urlsplit(log_in_at_provider(started.headers["Location"], "hpr-7"))
    done = client.get(f"{returned.path}?{returned.query}")
    assert done.status_code == 302
    return client, login_page, str(done.headers["Location"])


def test_a_form_lost_to_an_ended_session_is_named_after_a_login_through_the_provider(
    oidc_app: tuple[Flask, str],
) -> None:
    """The provider's round trip empties the cookie session; the notice that what was sent
    was not saved must still reach the page the form was on."""
    app, issuer = oidc_app
    contact = {"phone": "987 65 432", "email": "", "language": "nb", "channel": "sms"}
    client, login_page, landed = _send_late_and_log_in_through_the_provider(
        app, issuer, "/contact", contact, page_path="/contact"
    )
    assert "What you sent was NOT saved" in login_page
    assert landed.endswith("/contact")
    html = client.get(landed + "?lang=en").get_data(as_text=True)
    assert "What you sent before you logged in was NOT saved. Send it again." in html


def test_a_note_kept_from_an_ended_session_is_back_after_a_login_through_the_provider(
    oidc_app: tuple[Flask, str],
) -> None:
    app, issuer = oidc_app
    note = {"note": "Ringte pasienten"}
    client, login_page, landed = _send_late_and_log_in_through_the_provider(
        app, issuer, "/signals/{signal}/acknowledge", note
    )
    assert "What you sent was NOT saved yet" in login_page
    html = client.get(landed + "?lang=en").get_data(as_text=True)
    assert "Your note is back in its field." in html and "Ringte pasienten</textarea>" in html
    assert "NOT saved. Send it again." not in html


def test_removing_an_identity_ends_the_session_it_started_and_refuses_the_next_login(
    oidc_app: tuple[Flask, str],
) -> None:
    """An identity is removed because it was linked to the wrong person or is no longer
    trusted: a session it started must not outlive it (a session does not record how it
    began, so every session of the person ends)."""
    app, issuer = oidc_app
    db = app.extensions["fit_db"]
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    link_identity(
        db,
        admin_id=admin.id,
        staff_id=world.therapist_id,
        issuer=issuer,
        subject="hpr-9",
        now=dt.datetime.now(dt.UTC),
    )
    therapist = app.test_client()
    returned = urlsplit(log_in_at_provider(_started_at(therapist), "hpr-9"))
    assert therapist.get(f"{returned.path}?{returned.query}").status_code == 302
    assert therapist.get("/clinician/").status_code == 200

    admin_client = app.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    page = admin_client.get("/admin/identities?lang=en").get_data(as_text=True)
    [link] = [row for row in identity_links(db) if row.subject == "hpr-9"]
    removed = admin_client.post(
        f"/admin/identities/{link.id}/remove?lang=en", data={"csrf_token": csrf_token(page)}
    )
    assert removed.status_code == 302
    told = admin_client.get("/admin/identities?lang=en").get_data(as_text=True)
    assert "any session the person has open is ended" in told

    assert therapist.get("/clinician/").status_code == 302  # back to the login page
    # And the identity no longer logs anyone in.
    fresh = app.test_client()
    again = urlsplit(log_in_at_provider(_started_at(fresh), "hpr-9"))
    fresh.get(f"{again.path}?{again.query}")
    assert fresh.get("/clinician/").status_code == 302


def _started_at(client: FlaskClient) -> str:
    """The provider's address a login through it starts at."""
    token = csrf_token(client.get("/staff/login?lang=en").get_data(as_text=True))
    started = client.post("/staff/login/provider", data={"csrf_token": token})
    assert started.status_code == 303
    return started.headers["Location"]
