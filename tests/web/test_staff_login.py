from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.base import utcnow
from fit_platform.db.models import Staff, StaffSession
from fit_platform.domain.codes import Role
from fit_platform.services.staff_auth import revoke_all_sessions
from tests.conftest import make_test_app
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in

SECRET = pyotp.random_base32()


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _post_login(client: FlaskClient, username: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/staff/login?lang=en").get_data(as_text=True))
    return client.post(
        "/staff/login", data={"username": username, "password": password, "csrf_token": token}
    )


def _enrol(app: Flask, staff_id: int) -> None:
    sealed = app.extensions["fit_totp_box"].seal(SECRET)
    with _db(app).transaction() as session:
        session.execute(update(Staff).where(Staff.id == staff_id).values(totp_secret=sealed))


def _post_code(client: FlaskClient, code: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/staff/login/code?lang=en").get_data(as_text=True))
    return client.post("/staff/login/code", data={"code": code, "csrf_token": token})


def test_wrong_password_is_refused_with_a_translated_message(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(_db(app), (Role.THERAPIST, None))
    response = _post_login(client, staff.username, "not the password at all")
    assert response.status_code == 401
    assert "Wrong username or password, or too many attempts" in response.get_data(as_text=True)
    nb = client.get("/staff/login?lang=nb")
    assert nb.status_code == 200


def test_login_form_without_csrf_token_gets_a_translated_400_page(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(_db(app), (Role.THERAPIST, None))
    client.get("/staff/login?lang=en")
    response = client.post("/staff/login", data={"username": staff.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired or was sent from somewhere else." in response.get_data(
        as_text=True
    )


def test_enrolled_staff_need_a_code_and_a_code_cannot_be_used_twice(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    _enrol(app, world.therapist_id)
    response = _post_login(client, world.therapist_username, PASSWORD)
    assert response.headers["Location"] == "/staff/login/code"
    assert client.get("/clinician/").status_code == 302  # no session yet
    code = pyotp.TOTP(SECRET).now()
    assert _post_code(client, code).status_code == 302
    assert client.get("/clinician/").status_code == 200
    client.post(
        "/staff/logout",
        data={"csrf_token": csrf_token(client.get("/staff/account").get_data(as_text=True))},
    )
    _post_login(client, world.therapist_username, PASSWORD)
    replay = _post_code(client, code)
    assert replay.status_code == 401
    assert "That code is not valid" in replay.get_data(as_text=True)


def test_the_code_page_without_a_password_first_sends_you_to_login(
    app: Flask, client: FlaskClient
) -> None:
    response = client.get("/staff/login/code?lang=en")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"


def test_wrong_codes_count_towards_throttling_and_never_lock(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    _enrol(app, world.therapist_id)
    _post_login(client, world.therapist_username, PASSWORD)
    for _ in range(5):
        assert _post_code(client, "000000").status_code == 401
    # From another address (past the per-address rate limit), the right code must still wait.
    token = csrf_token(client.get("/staff/login/code?lang=en").get_data(as_text=True))
    waiting = client.post(
        "/staff/login/code",
        data={"code": pyotp.TOTP(SECRET).now(), "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert waiting.status_code == 401
    assert "too many attempts" in waiting.get_data(as_text=True)
    with db.session() as session:
        assert session.get(Staff, world.therapist_id).failed_logins == 5  # type: ignore[union-attr]


def test_the_code_endpoint_is_rate_limited(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    _enrol(app, world.therapist_id)
    _post_login(client, world.therapist_username, PASSWORD)
    token = csrf_token(client.get("/staff/login/code").get_data(as_text=True))
    statuses = [
        client.post("/staff/login/code?lang=en", data={"code": "", "csrf_token": token}).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_an_idle_session_ends_and_the_login_page_says_so(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    with db.transaction() as session:
        session.execute(
            update(StaffSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31))
        )
    response = client.get("/clinician/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert "Your session has ended." in client.get("/staff/login?lang=en").get_data(as_text=True)


def test_a_session_past_its_absolute_limit_ends(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    with db.transaction() as session:
        session.execute(update(StaffSession).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert client.get("/clinician/").status_code == 302


def test_a_revoked_session_is_worth_nothing(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    assert client.get("/clinician/").status_code == 200
    revoke_all_sessions(db, world.therapist_id, now=utcnow())
    assert client.get("/clinician/").status_code == 302


def test_logout_destroys_the_session_server_side(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    cookie = client.get_cookie("session")
    assert cookie is not None
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    client.post("/staff/logout", data={"csrf_token": token})
    client.set_cookie("session", cookie.value)  # replay the old cookie
    assert client.get("/clinician/").status_code == 302


def test_every_staff_page_shows_when_the_session_ends_and_can_extend_it(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world(_db(app))
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert "Your session ends at" in html and "Extend session" in html
    response = client.post(
        "/staff/session/extend", data={"csrf_token": csrf_token(html), "next": "/clinician/"}
    )
    assert response.headers["Location"] == "/clinician/"
    assert "Your session is extended." in client.get("/clinician/").get_data(as_text=True)


def test_password_change_checks_the_rules_and_logs_out_other_sessions(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    other_device = app.test_client()
    log_in(other_device, world.therapist_username, PASSWORD)
    log_in(client, world.therapist_username, PASSWORD)
    token = csrf_token(client.get("/staff/password?lang=en").get_data(as_text=True))

    def change(current: str, new: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/staff/password",
            data={"csrf_token": token, "current": current, "new": new, "confirm": new},
        )

    assert "The current password is not right." in change(
        "wrong", "a long new passphrase"
    ).get_data(as_text=True)
    assert "Use at least 12 characters." in change(PASSWORD, "short").get_data(as_text=True)
    assert "too common" in change(PASSWORD, "password1234").get_data(as_text=True)
    assert "too common" in change(PASSWORD, "Passord12345").get_data(as_text=True)
    assert change(PASSWORD, "a long new passphrase").status_code == 302
    assert client.get("/clinician/").status_code == 200
    assert other_device.get("/clinician/").status_code == 302


@pytest.fixture
def totp_required_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_test_app(
        database_url, tmp_path / "instance", require_totp_for_therapists=True
    )
    yield application
    application.extensions["fit_db"].dispose()


def test_therapists_without_totp_must_set_it_up_when_the_service_requires_it(
    totp_required_app: Flask,
) -> None:
    client = totp_required_app.test_client()
    db = _db(totp_required_app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    response = client.get("/clinician/")
    assert response.headers["Location"] == "/staff/totp"
    page = client.get("/staff/totp?lang=en").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    with client.session_transaction() as cookie:
        secret = cookie["totp_setup_secret"]
    response = client.post(
        "/staff/totp",
        data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()},
    )
    assert response.status_code == 200
    assert "Your recovery codes" in response.get_data(as_text=True)
    assert client.get("/clinician/").status_code == 200


# A winter morning far from the machine's own time: Oslo is UTC+1, so 09:05 UTC is 10:05.
INJECTED = dt.datetime(2026, 3, 10, 9, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize("second_factor", [False, True])
def test_the_session_end_shown_to_staff_is_read_from_the_same_clock_as_every_page(
    app: Flask, client: FlaskClient, second_factor: bool
) -> None:
    """The login and every request used the machine's clock for the session, so with the
    app's clock set the bar said a time unrelated to the pages' own "now", and moving that
    clock past the idle limit ended nothing."""
    clock = {"now": INJECTED}
    app.extensions["fit_clock"] = lambda: clock["now"]
    world = make_world(_db(app))
    if second_factor:
        _enrol(app, world.therapist_id)
        assert _post_login(client, world.therapist_username, PASSWORD).status_code == 302
        # The code the app shows at the app's time.
        assert _post_code(client, pyotp.TOTP(SECRET).at(INJECTED)).status_code == 302
    else:
        log_in(client, world.therapist_username, PASSWORD)
    html = client.get("/clinician/?lang=en").get_data(as_text=True)
    # 30 idle minutes after 10:05 in Oslo.
    assert "Your session ends at 10:35 unless you use the service." in html
    clock["now"] = INJECTED + dt.timedelta(minutes=20)
    html = client.get("/clinician/?lang=nb").get_data(as_text=True)
    assert "10:55" in html
    clock["now"] = INJECTED + dt.timedelta(minutes=51)
    assert client.get("/clinician/").status_code == 302  # idle past 10:55


@pytest.mark.parametrize(
    ("waited", "lets_in"),
    [(dt.timedelta(minutes=4, seconds=59), True), (dt.timedelta(minutes=5, seconds=1), False)],
)
def test_the_code_steps_five_minute_wait_runs_on_the_page_clock(
    app: Flask, client: FlaskClient, waited: dt.timedelta, lets_in: bool
) -> None:
    """The code step's wait was kept on the machine's clock while the rest of the staff
    session ran on the page clock: moving that clock past five minutes ended nothing."""
    clock = {"now": INJECTED}
    app.extensions["fit_clock"] = lambda: clock["now"]
    world = make_world(_db(app))
    _enrol(app, world.therapist_id)
    assert _post_login(client, world.therapist_username, PASSWORD).status_code == 302
    clock["now"] = INJECTED + waited
    page = client.get("/staff/login/code?lang=en")
    if lets_in:
        assert page.status_code == 200
        assert _post_code(client, pyotp.TOTP(SECRET).at(clock["now"])).status_code == 302
        assert client.get("/clinician/").status_code == 200
    else:
        assert page.status_code == 302 and page.headers["Location"] == "/staff/login"
        shown = client.get("/staff/login?lang=en").get_data(as_text=True)
        assert "Log in with your password first." in shown
        assert client.get("/clinician/").status_code == 302


def test_administrators_without_totp_must_set_it_up_when_the_service_requires_it(
    database_url: str, tmp_path: Path
) -> None:
    """An administrator resets others' second factor and downloads a patient's whole record;
    only therapists could be required to have one."""
    required = make_test_app(database_url, tmp_path / "a", require_totp_for_admins=True)
    try:
        db = _db(required)
        admin = make_staff(db, (Role.ADMIN, None))
        world = make_world(db)
        client = required.test_client()
        log_in(client, admin.username, PASSWORD)
        assert client.get("/admin/").headers["Location"] == "/staff/totp"
        page = client.get("/staff/totp?lang=en").get_data(as_text=True)
        assert 'src="data:image/svg+xml' in page
        therapist = required.test_client()
        log_in(therapist, world.therapist_username, PASSWORD)
        assert therapist.get("/clinician/").status_code == 200  # not asked of therapists
    finally:
        required.extensions["fit_db"].dispose()
