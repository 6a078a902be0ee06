"""Rotating FIT_TOTP_ENCRYPTION_KEY to the end, as docs/operations.md tells it: the new key
goes first beside the old one, `fit-platform totp reseal` seals every second-factor secret
again with the new key, and then the old key can be removed and staff still log in with
their codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Staff
from fit_platform.services import recovery_codes
from fit_platform.services.secret_box import SecretBox
from tests.conftest import make_test_app
from tests.support.cli import run_fit_platform
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token


def _logs_in_with_code(
    app_key: str,
    database_url: str,
    tmp_path: Path,
    username: str,
    secret: str,
    code: str | None = None,
) -> bool:
    app = make_test_app(database_url, tmp_path / app_key[:8], totp_encryption_key=app_key)
    client = app.test_client()
    page = client.get("/staff/login?lang=en").get_data(as_text=True)
    response = client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.headers["Location"] == "/staff/login/code"
    page = client.get("/staff/login/code?lang=en").get_data(as_text=True)
    response = client.post(
        "/staff/login/code",
        data={"csrf_token": csrf_token(page), "code": code or pyotp.TOTP(secret).now()},
    )
    app.extensions["fit_db"].dispose()
    return response.status_code == 302 and "/staff/login" not in response.headers["Location"]


def test_after_reseal_the_old_key_can_go_and_staff_still_log_in_with_their_codes(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    world = make_world(db)
    secret = pyotp.random_base32()
    with db.transaction() as session:
        staff = session.get(Staff, world.therapist_id)
        assert staff is not None
        staff.totp_secret = SecretBox(old_key).seal(secret)

    resealed = run_fit_platform(
        database_url, "totp", "reseal", FIT_TOTP_ENCRYPTION_KEY=f"{new_key},{old_key}"
    )
    assert resealed.returncode == 0, resealed.stderr
    assert "1 second-factor secret sealed again with the first key" in resealed.stdout
    with db.session() as session:
        stored = session.scalar(select(Staff.totp_secret).where(Staff.id == world.therapist_id))
    assert stored is not None and secret not in stored
    assert SecretBox(new_key).open(stored) == secret  # the new key alone opens it

    assert _logs_in_with_code(new_key, database_url, tmp_path, world.therapist_username, secret)


def test_a_secret_no_configured_key_opens_is_named_and_left_as_it_is(
    db: Database, database_url: str
) -> None:
    lost_key, key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    world = make_world(db)
    sealed = SecretBox(lost_key).seal(pyotp.random_base32())
    with db.transaction() as session:
        staff = session.get(Staff, world.therapist_id)
        assert staff is not None
        staff.totp_secret = sealed

    result = run_fit_platform(database_url, "totp", "reseal", FIT_TOTP_ENCRYPTION_KEY=key)
    assert result.returncode == 1
    assert f"staff id {world.therapist_id}" in result.stderr
    assert "reset their second factor" in result.stderr
    with db.session() as session:
        assert (
            session.scalar(select(Staff.totp_secret).where(Staff.id == world.therapist_id))
            == sealed
        )


def test_an_old_key_removed_too_early_refuses_the_code_and_a_recovery_code_still_works(
    db: Database, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mistake step 3 of the rotation guards against: the login code page answers (no
    server error), the log names the cause, and the person gets in with a recovery code."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    world = make_world(db)
    secret = pyotp.random_base32()
    with db.transaction() as session:
        staff = session.get(Staff, world.therapist_id)
        assert staff is not None
        staff.totp_secret = SecretBox(old_key).seal(secret)
        [spare, *_] = recovery_codes.issue(session, world.therapist_id, dt.datetime.now(dt.UTC))

    assert not _logs_in_with_code(new_key, database_url, tmp_path, world.therapist_username, secret)
    # The app's JSON lines only: an app an earlier test made may still hold that test's closed
    # capture stream, and logging then reports its own error here in plain text.
    err = capsys.readouterr().err
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {
        (line["level"], line["staff_id"])
        for line in logged
        if line.get("event") == "totp_secret_unreadable"
    } == {("ERROR", world.therapist_id)}
    assert _logs_in_with_code(
        new_key, database_url, tmp_path, world.therapist_username, secret, code=spare
    )
