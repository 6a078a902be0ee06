"""Failed logins slow the guesser down without locking the owner out or naming real accounts.

The rule is in fit_platform/domain/login_throttle.py and docs/security.md. Counting is one
atomic SQL statement, so parallel wrong passwords all count (the race is tested on SQLite and
PostgreSQL with real threads).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from fit_platform.db import Database
from fit_platform.db.base import utcnow
from fit_platform.db.models import LoginFailureByAddress, Staff
from fit_platform.domain.codes import Role
from fit_platform.domain.login_throttle import ACCOUNT, delay_after
from fit_platform.scheduler.clock import jobs
from fit_platform.services.login_throttle import address_hash
from fit_platform.services.passwords import hash_password
from fit_platform.services.staff_auth import LoginOutcome, log_in
from tests.support.factories import PASSWORD, make_staff
from tests.support.html import csrf_token
from tests.support.password_cost import recommended_cost

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=10)
REFUSED = "Wrong username or password, or too many attempts in a short time."


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _token(client: FlaskClient, address: str) -> str:
    page = client.get("/staff/login?lang=en", environ_base={"REMOTE_ADDR": address})
    return csrf_token(page.get_data(as_text=True))


def _post_login(client: FlaskClient, username: str, password: str, address: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": _token(client, address)},
        environ_base={"REMOTE_ADDR": address},
    )


def _failures(db: Database, staff_id: int) -> int:
    with db.session() as session:
        return int(session.scalar(select(Staff.failed_logins).where(Staff.id == staff_id)) or 0)


def test_eight_wrong_passwords_sent_in_parallel_all_count(app: Flask) -> None:
    """At the service's own hashing cost: the eight checks overlap as real logins do (each
    passes the throttle before any failure is recorded), which the counting must survive."""
    db = _db(app)
    staff = make_staff(db, (Role.THERAPIST, None))
    with recommended_cost():
        _store_a_recommended_hash(db, staff)
        _eight_in_parallel(app, db, staff)


def _store_a_recommended_hash(db: Database, staff: Staff) -> None:
    with db.transaction() as session:
        session.execute(
            update(Staff).where(Staff.id == staff.id).values(password_hash=hash_password(PASSWORD))
        )


def _eight_in_parallel(app: Flask, db: Database, staff: Staff) -> None:
    clients = [app.test_client() for _ in range(8)]
    tokens = [_token(client, f"10.1.0.{n}") for n, client in enumerate(clients)]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def attempt(n: int) -> None:
        start.wait()
        response = clients[n].post(
            "/staff/login",
            data={"username": staff.username, "password": f"wrong {n}", "csrf_token": tokens[n]},
            environ_base={"REMOTE_ADDR": f"10.1.0.{n}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [401] * 8
    assert _failures(db, staff.id) == 8


def test_after_five_wrong_passwords_the_right_one_waits_a_moment_then_works(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    staff = make_staff(db, (Role.THERAPIST, None))
    for n in range(5):
        _post_login(client, staff.username, "wrong password number", f"10.2.0.{n}")
    assert _failures(db, staff.id) == 5
    # As if the fifth failure were this instant: on a loaded machine the five requests
    # (each an Argon2 check) can themselves outlast the 2-second wait they start.
    with db.transaction() as session:
        session.execute(
            update(Staff).where(Staff.id == staff.id).values(last_failed_login_at=utcnow())
        )
    waiting = _post_login(client, staff.username, PASSWORD, "10.2.1.1")
    assert waiting.status_code == 401
    assert REFUSED in waiting.get_data(as_text=True)
    # The owner's wait is over after the delay; no 15-minute lockout.
    with db.transaction() as session:
        session.execute(
            update(Staff)
            .where(Staff.id == staff.id)
            .values(last_failed_login_at=utcnow() - delay_after(5, ACCOUNT))
        )
    assert _post_login(client, staff.username, PASSWORD, "10.2.1.1").status_code == 302
    assert client.get("/clinician/").status_code == 200
    assert _failures(db, staff.id) == 0


def test_a_hammered_real_account_answers_exactly_like_an_unknown_one(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(_db(app), (Role.THERAPIST, None))
    pages: dict[str, set[str]] = {}
    for username in (staff.username, "nobody@test.fit"):
        responses = [
            _post_login(client, username, "wrong password number", f"10.3.{len(pages)}.{n}")
            for n in range(8)  # the last three of the real account are "wait" refusals
        ]
        assert {response.status_code for response in responses} == {401}
        # The page echoes the username and carries a fresh CSRF token; nothing else differs.
        pages[username] = {
            re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True)).replace(
                username, "USERNAME"
            )
            for response in responses
        }
        assert all(REFUSED in page and "locked" not in page.lower() for page in pages[username])
    assert len(pages[staff.username]) == 1
    assert pages[staff.username] == pages["nobody@test.fit"]


def test_every_refusal_costs_one_password_check_so_timing_names_no_account(db: Database) -> None:
    """At the service's own hashing cost, so that the password check is what is timed."""
    staff = make_staff(db, (Role.THERAPIST, None))
    now = utcnow()
    with recommended_cost():
        _store_a_recommended_hash(db, staff)
        _time_the_refusals(db, staff, now)


def _time_the_refusals(db: Database, staff: Staff, now: dt.datetime) -> None:

    def took(username: str, address: str) -> float:
        started = time.perf_counter()
        result = log_in(
            db,
            username,
            "wrong password",
            client_address=address,
            idle=IDLE,
            absolute=ABSOLUTE,
            now=now,
        )
        assert result.outcome is LoginOutcome.INVALID
        return time.perf_counter() - started

    wrong = min(took(staff.username, f"10.4.0.{n}") for n in range(6))  # the last ones wait
    throttled = min(took(staff.username, f"10.4.1.{n}") for n in range(3))
    unknown = min(took("nobody@test.fit", f"10.4.2.{n}") for n in range(3))
    assert throttled > wrong / 2 and unknown > wrong / 2


def test_a_guesser_from_many_addresses_slows_to_a_minute_and_the_owner_still_gets_in(
    db: Database,
) -> None:
    staff = make_staff(db, (Role.THERAPIST, None))
    now = utcnow()
    for n in range(30):
        now += delay_after(n, ACCOUNT)  # the guesser waits as long as it must each time
        log_in(
            db,
            staff.username,
            "guess",
            client_address=f"10.5.{n}.1",
            idle=IDLE,
            absolute=ABSOLUTE,
            now=now,
        )
    assert _failures(db, staff.id) == 30
    early = log_in(
        db,
        staff.username,
        PASSWORD,
        client_address="10.6.0.1",
        idle=IDLE,
        absolute=ABSOLUTE,
        now=now + dt.timedelta(seconds=30),
    )
    assert early.outcome is LoginOutcome.INVALID
    owner = log_in(
        db,
        staff.username,
        PASSWORD,
        client_address="10.6.0.1",
        idle=IDLE,
        absolute=ABSOLUTE,
        now=now + ACCOUNT.max_delay,
    )
    assert owner.outcome is LoginOutcome.OK


def test_one_address_trying_many_usernames_is_slowed_while_others_log_in(db: Database) -> None:
    staff = make_staff(db, (Role.THERAPIST, None))
    now = utcnow()
    for n in range(21):
        log_in(
            db,
            f"user{n}@test.fit",
            "Sommer2026!!",
            client_address="10.7.0.1",
            idle=IDLE,
            absolute=ABSOLUTE,
            now=now,
        )
    sprayer = log_in(
        db,
        staff.username,
        PASSWORD,
        client_address="10.7.0.1",
        idle=IDLE,
        absolute=ABSOLUTE,
        now=now,
    )
    assert sprayer.outcome is LoginOutcome.INVALID
    elsewhere = log_in(
        db,
        staff.username,
        PASSWORD,
        client_address="10.8.0.1",
        idle=IDLE,
        absolute=ABSOLUTE,
        now=now,
    )
    assert elsewhere.outcome is LoginOutcome.OK


def test_failures_an_hour_old_start_the_count_again(db: Database) -> None:
    staff = make_staff(db, (Role.THERAPIST, None))
    now = utcnow()
    for n in range(4):
        log_in(
            db,
            staff.username,
            "guess",
            client_address=f"10.9.0.{n}",
            idle=IDLE,
            absolute=ABSOLUTE,
            now=now,
        )
    later = now + ACCOUNT.window + dt.timedelta(seconds=1)
    log_in(
        db,
        staff.username,
        "guess",
        client_address="10.9.1.1",
        idle=IDLE,
        absolute=ABSOLUTE,
        now=later,
    )
    assert _failures(db, staff.id) == 1


def test_the_clean_up_job_forgets_address_counts_older_than_the_window(db: Database) -> None:
    now = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    for address, at in (("10.10.0.1", now - dt.timedelta(hours=2)), ("10.10.0.2", now)):
        log_in(
            db,
            "nobody@test.fit",
            "guess",
            client_address=address,
            idle=IDLE,
            absolute=ABSOLUTE,
            now=at,
        )
    jobs(db, None, clock=lambda: now)["clean_up"]()
    with db.session() as session:
        kept = session.scalars(select(LoginFailureByAddress.address_hash)).all()
    assert kept == [address_hash("10.10.0.2")]
