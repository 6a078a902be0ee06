"""The second factor: enrolment, moving it to a new phone only with the password and a
current code."""

from __future__ import annotations

import datetime as dt

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Staff
from fit_platform.services import totp
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _enrol_through_the_page(client: FlaskClient) -> str:
    page = client.get("/staff/totp?lang=en").get_data(as_text=True)
    with client.session_transaction() as cookie:
        secret = str(cookie["totp_setup_secret"])
    response = client.post(
        "/staff/totp", data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 302
    return secret


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stored_secret(db: Database, staff_id: int) -> str | None:
    with db.session() as session:
        return session.scalar(select(Staff.totp_secret).where(Staff.id == staff_id))


def test_an_open_session_cannot_move_the_second_factor_without_password_and_current_code(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    old_secret = _enrol_through_the_page(client)
    stored = _stored_secret(db, world.therapist_id)
    assert stored is not None and old_secret not in stored  # kept sealed, never in clear
    assert app.extensions["fit_totp_box"].open(stored) == old_secret

    # Someone at the unlocked desk tries to move the factor to their own phone.
    page = client.get("/staff/totp?lang=en").get_data(as_text=True)
    assert "confirm it is you with your password" in page
    with client.session_transaction() as cookie:
        new_secret = str(cookie["totp_setup_secret"])
    new_code = pyotp.TOTP(new_secret).now()
    for password, current in (("", ""), ("a guessed password", "123456"), (PASSWORD, "000000")):
        response = client.post(
            "/staff/totp",
            data={
                "csrf_token": csrf_token(page),
                "code": new_code,
                "password": password,
                "current_code": current,
            },
        )
        assert response.status_code == 400
    assert _stored_secret(db, world.therapist_id) == stored

    # The owner, with the password and a code from the old app, moves it.
    old_code = pyotp.TOTP(old_secret).at(_now().timestamp() + 30)  # the step after enrolment's
    response = client.post(
        "/staff/totp",
        data={
            "csrf_token": csrf_token(page),
            "code": new_code,
            "password": PASSWORD,
            "current_code": old_code,
        },
    )
    assert response.status_code == 302
    assert _stored_secret(db, world.therapist_id) != stored
    assert totp.matching_step(new_secret, new_code, _now()) is not None
