"""A form sent after the staff session has ended: what it carried is not saved, and the login
page and the page after login say so plainly. After login the browser is back on the page the
form was on, never on the form's POST-only URL (that answered 405 and the note was silently
gone). Time moves on the injected page clock; nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.models import Patient, Signal, Staff
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in, log_in_from

# A winter morning far from the machine's own time (10:05 in Oslo).
INJECTED = dt.datetime(2026, 3, 10, 9, 5, tzinfo=dt.UTC)
NOTE = "Ringte pasienten, laget sikkerhetsplan"
NOT_SAVED_YET_NB = "Det du sendte, er IKKE lagret ennå"
NOT_SAVED_YET_EN = "What you sent was NOT saved yet"
NOT_SAVED_EN = "What you sent was NOT saved"
AFTER_LOGIN_EN = "What you sent before you logged in was NOT saved. Send it again."


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


@pytest.fixture
def clock(app: Flask) -> dict[str, dt.datetime]:
    moment = {"now": INJECTED}
    app.extensions["fit_clock"] = lambda: moment["now"]
    return moment


def _log_in_again(client: FlaskClient, login_url: str, world: World) -> str:
    """Log in from the login page the expired form was sent to; returns where login lands."""
    return log_in_from(client, login_url, world.therapist_username, PASSWORD)


def _cookie_session(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return repr(dict(session))


def test_a_risk_note_sent_after_the_session_ended_returns_to_its_page_kept_out_of_cookie_and_log(
    app: Flask, client: FlaskClient, clock: dict[str, dt.datetime], caplog: pytest.LogCaptureFixture
) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER)
    log_in(client, world.therapist_username, PASSWORD)
    episode_page = f"/clinician/episodes/{world.episode_id}"
    page = client.get(episode_page).get_data(as_text=True)
    # The behandler writes the note while the session runs out (30 idle minutes).
    clock["now"] = INJECTED + dt.timedelta(minutes=31)
    caplog.set_level(logging.DEBUG)
    sent = client.post(
        f"{episode_page}/signals/{signal_id}/acknowledge",
        data={"csrf_token": csrf_token(page), "note": NOTE},
    )
    assert sent.status_code == 302
    login_url = sent.headers["Location"]
    # Back to the page the form was on, not to the POST-only URL (which answered 405).
    assert parse_qs(urlsplit(login_url).query)["next"] == [episode_page]
    login_page = client.get(login_url + "&lang=nb").get_data(as_text=True)
    assert NOT_SAVED_YET_NB in login_page
    assert NOT_SAVED_YET_EN in client.get(login_url + "&lang=en").get_data(as_text=True)
    # The note is kept in the database for its writer (test_signal_note_kept_after_session_end),
    # never in the cookie session or a log.
    assert NOTE not in _cookie_session(client)
    assert all(NOTE not in record.getMessage() for record in caplog.records)
    assert all(NOTE not in repr(record.__dict__) for record in caplog.records)
    landed = _log_in_again(client, login_url, world)
    assert landed == episode_page
    shown = client.get(landed + "?lang=en")
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert f"/signals/{signal_id}/acknowledge" in html  # the form is there to send again
    assert NOTE in html
    with db.session() as session:
        signal = session.get_one(Signal, signal_id)
        assert signal.acknowledge_note is None


def test_a_contact_change_sent_after_the_session_ended_comes_back_to_the_contact_form(
    app: Flask, client: FlaskClient, clock: dict[str, dt.datetime]
) -> None:
    db = _db(app)
    world = make_world(db)
    with db.transaction() as session:
        session.get_one(Patient, world.patient_id).phone_e164 = "+4791234567"
    log_in(client, world.therapist_username, PASSWORD)
    contact = f"/clinician/episodes/{world.episode_id}/contact"
    page = client.get(contact).get_data(as_text=True)
    clock["now"] = INJECTED + dt.timedelta(minutes=45)
    data = {"phone": "987 65 432", "email": "", "language": "nb", "channel": "sms"}
    sent = client.post(contact, data={"csrf_token": csrf_token(page), **data})
    assert sent.status_code == 302
    login_url = sent.headers["Location"]
    assert parse_qs(urlsplit(login_url).query)["next"] == [contact]
    assert NOT_SAVED_EN in client.get(login_url + "&lang=en").get_data(as_text=True)
    assert "98765432" not in _cookie_session(client)
    landed = _log_in_again(client, login_url, world)
    assert landed == contact
    html = client.get(landed + "?lang=en").get_data(as_text=True)
    assert AFTER_LOGIN_EN in html and 'name="phone"' in html
    with db.session() as session:
        assert session.get_one(Patient, world.patient_id).phone_e164 == "+4791234567"
    # Said once: the next page is quiet again.
    assert AFTER_LOGIN_EN not in client.get(landed + "?lang=en").get_data(as_text=True)


def test_a_forged_referer_on_an_expired_form_never_leads_off_the_site(
    app: Flask, client: FlaskClient, clock: dict[str, dt.datetime]
) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER)
    log_in(client, world.therapist_username, PASSWORD)
    page = client.get(f"/clinician/episodes/{world.episode_id}").get_data(as_text=True)
    clock["now"] = INJECTED + dt.timedelta(minutes=31)
    sent = client.post(
        f"/clinician/episodes/{world.episode_id}/signals/{signal_id}/acknowledge",
        data={"csrf_token": csrf_token(page), "note": NOTE},
        headers={"Referer": "https://evil.example/clinician/episodes/1"},
    )
    login_url = sent.headers["Location"]
    assert "evil" not in login_url
    landed = _log_in_again(client, login_url, world)
    assert landed == f"/clinician/episodes/{world.episode_id}"


def test_an_expired_page_view_comes_back_without_a_stray_question_mark(
    app: Flask, client: FlaskClient, clock: dict[str, dt.datetime]
) -> None:
    world = make_world(_db(app))
    log_in(client, world.therapist_username, PASSWORD)
    clock["now"] = INJECTED + dt.timedelta(minutes=31)
    episode_page = f"/clinician/episodes/{world.episode_id}"
    sent = client.get(episode_page)
    assert parse_qs(urlsplit(sent.headers["Location"]).query)["next"] == [episode_page]
    # A page view carried nothing to lose: only that the session ended is said.
    html = client.get(sent.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "Your session has ended." in html and NOT_SAVED_EN not in html
    assert _log_in_again(client, sent.headers["Location"], world) == episode_page
    # A query, when there is one, is kept.
    clock["now"] = INJECTED + dt.timedelta(minutes=62)
    with_query = client.get(f"{episode_page}?lang=en")
    assert parse_qs(urlsplit(with_query.headers["Location"]).query)["next"] == [
        f"{episode_page}?lang=en"
    ]


def test_the_notice_survives_the_code_step_of_a_two_factor_login(
    app: Flask, client: FlaskClient, clock: dict[str, dt.datetime]
) -> None:
    db = _db(app)
    world = make_world(db)
    secret = pyotp.random_base32()
    with db.transaction() as session:
        session.execute(
            update(Staff)
            .where(Staff.id == world.therapist_id)
            .values(totp_secret=app.extensions["fit_totp_box"].seal(secret))
        )
    login_page = client.get("/staff/login?lang=en").get_data(as_text=True)
    form = {"username": world.therapist_username, "password": PASSWORD}
    client.post("/staff/login", data={"csrf_token": csrf_token(login_page), **form})
    code_page = client.get("/staff/login/code").get_data(as_text=True)
    code = {"code": pyotp.TOTP(secret).at(clock["now"]), "csrf_token": csrf_token(code_page)}
    assert client.post("/staff/login/code", data=code).status_code == 302
    contact = f"/clinician/episodes/{world.episode_id}/contact"
    page = client.get(contact).get_data(as_text=True)
    clock["now"] = INJECTED + dt.timedelta(minutes=31)
    data = {"phone": "987 65 432", "email": "", "language": "nb", "channel": "sms"}
    login_url = client.post(contact, data={"csrf_token": csrf_token(page), **data}).headers[
        "Location"
    ]
    login_page = client.get(login_url).get_data(as_text=True)
    sent = client.post(login_url, data={"csrf_token": csrf_token(login_page), **form})
    assert sent.headers["Location"] == "/staff/login/code"
    code_page = client.get("/staff/login/code").get_data(as_text=True)
    # A code of the next 30-second step: the first one was used already.
    later = clock["now"] + dt.timedelta(seconds=30)
    code = {"code": pyotp.TOTP(secret).at(later), "csrf_token": csrf_token(code_page)}
    clock["now"] = later
    done = client.post("/staff/login/code", data=code)
    assert done.headers["Location"] == contact
    assert AFTER_LOGIN_EN in client.get(contact + "?lang=en").get_data(as_text=True)


def test_extend_session_after_the_end_comes_back_to_the_page_and_loses_nothing(
    app: Flask, client: FlaskClient, clock: dict[str, dt.datetime]
) -> None:
    world = make_world(_db(app))
    log_in(client, world.therapist_username, PASSWORD)
    episode_page = f"/clinician/episodes/{world.episode_id}"
    page = client.get(episode_page).get_data(as_text=True)
    # The button's own page, without the stray "?" the bar used to add.
    assert f'name="next" value="{episode_page}"' in page
    clock["now"] = INJECTED + dt.timedelta(minutes=31)
    sent = client.post(
        "/staff/session/extend", data={"csrf_token": csrf_token(page), "next": episode_page}
    )
    login_url = sent.headers["Location"]
    assert parse_qs(urlsplit(login_url).query)["next"] == [episode_page]
    assert NOT_SAVED_EN not in client.get(login_url + "&lang=en").get_data(as_text=True)
    assert _log_in_again(client, login_url, world) == episode_page
    assert AFTER_LOGIN_EN not in client.get(episode_page + "?lang=en").get_data(as_text=True)
