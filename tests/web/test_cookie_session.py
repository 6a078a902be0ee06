"""The browser's cookie session is encrypted: it carries no readable patient or link ids."""

from __future__ import annotations

import base64
import zlib

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.models import Staff
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token
from tests.support.patient import Patient, open_invitation


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _readable_without_the_key(cookie: str) -> str:
    """What anyone holding the cookie could read of a signed-only Flask session."""
    readable = ""
    for part in cookie.lstrip(".").split("."):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            continue
        for decode in (lambda b: zlib.decompress(b), lambda b: b):
            try:
                readable += decode(raw).decode("utf-8", "replace")
            except zlib.error:
                continue
    return readable


def test_the_patients_cookie_shows_no_link_or_patient_id_and_still_carries_the_visit(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    assert patient.start().status_code == 302
    with client.session_transaction() as session:
        link_id = session["p_link"]  # the server can open it
    cookie = client.get_cookie("session")
    assert cookie is not None
    readable = _readable_without_the_key(cookie.value)
    assert "p_link" not in readable
    assert cookie.value.startswith("gAAAAA")  # one Fernet token, nothing beside it
    # A signed-only cookie would have shown it: the check above can see.
    signed_only = URLSafeTimedSerializer("k", salt="cookie-session").dumps({"p_link": link_id})
    assert "p_link" in _readable_without_the_key(signed_only)
    # The visit goes on from the encrypted cookie.
    assert client.get("/p/answer/1").status_code == 200


def test_an_altered_cookie_starts_an_empty_session(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    Patient(client, token).start()
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie(
        "session", cookie.value[:-6] + ("A" if cookie.value[-6] != "A" else "B") + cookie.value[-5:]
    )
    assert client.get("/p/answer/1").status_code == 403


def test_the_staff_id_between_password_and_code_is_not_readable(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world(_db(app))
    sealed = app.extensions["fit_totp_box"].seal(pyotp.random_base32())
    with _db(app).transaction() as session:
        session.execute(
            update(Staff).where(Staff.id == world.therapist_id).values(totp_secret=sealed)
        )
    page = client.get("/staff/login?lang=en").get_data(as_text=True)
    client.post(
        "/staff/login",
        data={
            "username": world.therapist_username,
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert "pending_staff" not in _readable_without_the_key(cookie.value)
    assert client.get("/staff/login/code?lang=en").status_code == 200  # the login goes on
