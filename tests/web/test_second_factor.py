"""The second factor: enrolment, moving it to a new phone only with the password and a
current code."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffRecoveryCode
from fit_platform.services import totp
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _enrol_through_the_page(client: FlaskClient) -> tuple[str, list[str]]:
    """Enrol as a user does; returns the secret and the recovery codes shown once."""
    page = client.get("/staff/totp?lang=en").get_data(as_text=True)
    with client.session_transaction() as cookie:
        secret = str(cookie["totp_setup_secret"])
    response = client.post(
        "/staff/totp", data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _log_in_with(client: FlaskClient, username: str, code: str) -> int:
    page = client.get("/staff/login?lang=en").get_data(as_text=True)
    response = client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.headers["Location"] == "/staff/login/code"
    page = client.get("/staff/login/code?lang=en").get_data(as_text=True)
    response = client.post("/staff/login/code", data={"csrf_token": csrf_token(page), "code": code})
    return response.status_code


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
    old_secret, _codes = _enrol_through_the_page(client)
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
    assert response.status_code == 200
    assert _stored_secret(db, world.therapist_id) != stored
    assert totp.matching_step(new_secret, new_code, _now()) is not None


def test_recovery_codes_are_shown_once_kept_hashed_and_each_logs_in_only_once(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    _secret, codes = _enrol_through_the_page(client)
    with db.session() as session:
        hashes = set(session.scalars(select(StaffRecoveryCode.code_hash)))
    assert len(hashes) == 10 and not any(code.replace("-", "") in hashes for code in codes)
    assert all(
        code not in client.get("/staff/account?lang=en").get_data(as_text=True) for code in codes
    )

    phone_lost = app.test_client()
    assert _log_in_with(phone_lost, world.therapist_username, codes[3].lower()) == 302
    assert phone_lost.get("/clinician/").status_code == 200
    account = phone_lost.get("/staff/account?lang=en").get_data(as_text=True)
    assert "You have 9 unused recovery codes." in account
    again = app.test_client()
    assert _log_in_with(again, world.therapist_username, codes[3]) == 401
    assert again.get("/clinician/").status_code == 302


def test_a_lost_phone_is_replaced_with_the_password_and_a_recovery_code(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    _old_secret, codes = _enrol_through_the_page(client)
    page = client.get("/staff/totp?lang=en").get_data(as_text=True)
    with client.session_transaction() as cookie:
        new_secret = str(cookie["totp_setup_secret"])
    response = client.post(
        "/staff/totp",
        data={
            "csrf_token": csrf_token(page),
            "code": pyotp.TOTP(new_secret).now(),
            "password": PASSWORD,
            "current_code": codes[0],
        },
    )
    assert response.status_code == 200
    new_codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    # The old codes are gone with the old phone.
    assert _log_in_with(app.test_client(), world.therapist_username, codes[1]) == 401


def test_a_valid_current_code_without_the_password_does_not_move_the_second_factor(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    old_secret, codes = _enrol_through_the_page(client)
    stored = _stored_secret(db, world.therapist_id)
    page = client.get("/staff/totp?lang=en").get_data(as_text=True)
    with client.session_transaction() as cookie:
        new_secret = str(cookie["totp_setup_secret"])
    # Whoever holds the open session and the phone (or a recovery code) still needs the
    # password: each attempt below has a code the current factor accepts.
    old_code = pyotp.TOTP(old_secret).at(_now().timestamp() + 30)  # the step after enrolment's
    assert totp.matching_step(old_secret, old_code, _now()) is not None
    for password, current in (("", old_code), ("a guessed password", codes[0])):
        response = client.post(
            "/staff/totp",
            data={
                "csrf_token": csrf_token(page),
                "code": pyotp.TOTP(new_secret).now(),
                "password": password,
                "current_code": current,
            },
        )
        assert response.status_code == 400, password
        assert _stored_secret(db, world.therapist_id) == stored
