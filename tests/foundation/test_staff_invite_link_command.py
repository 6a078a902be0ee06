"""Onboarding staff where the service has no e-mail: `fit-platform staff invite-link`.

A production install without an SMTP relay could create its first administrator from the
command line, but every further staff member was invited by an e-mail that could never
leave; the staff pages only warned. The operator now prints a one-time set-password link
and hands it over. The command runs as an operator runs it (a real process, production
settings) against the database the web pages use, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, OutboxMessage, StaffInvite
from fit_platform.domain.codes import OutboxState, Role
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.services.links import hash_token
from fit_platform.services.ops_figures import collect
from tests.support.cli import run_fit_platform
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in

BASE_URL = "https://fit.klinikk.example"
NEW_PASSWORD = "lantern meadow copper seventeen"
LINK = re.compile(re.escape(BASE_URL) + r"(/staff/invite/[A-Za-z0-9_-]+)")


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def invite_link(database_url: str, username: str) -> subprocess.CompletedProcess[str]:
    return run_fit_platform(
        database_url, "staff", "invite-link", username, FIT_PUBLIC_BASE_URL=BASE_URL
    )


def printed_path(done: subprocess.CompletedProcess[str]) -> str:
    """The link's path: standard output holds the link and nothing else."""
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    found = LINK.fullmatch(lines[0])
    assert found is not None, done.stdout
    return found.group(1)


def choose_password(app: Flask, path: str, password: str) -> FlaskClient:
    person = app.test_client()
    landing = person.get(path + "?lang=en")
    assert landing.status_code == 200
    done = person.post(
        path,
        data={
            "csrf_token": csrf_token(landing.get_data(as_text=True)),
            "new": password,
            "confirm": password,
        },
    )
    assert done.status_code == 302 and done.headers["Location"] == "/staff/login"
    return person


def test_without_email_an_invited_person_gets_their_first_password_through_a_printed_link(
    app: Flask, client: FlaskClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = _db(app)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    form = client.get("/admin/staff/invite?lang=en").get_data(as_text=True)
    # The warning names the command where the administrator would otherwise be stuck.
    assert "fit-platform staff invite-link" in form
    invited = client.post(
        "/admin/staff/invite",
        data={
            "csrf_token": csrf_token(form),
            "email": "Kari.Nordmann@Example.org",
            "display_name": "Kari Nordmann",
            "role": "therapist",
            "unit": str(unit.id),
        },
    )
    assert invited.status_code == 302
    detail = client.get(invited.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "fit-platform staff invite-link kari.nordmann@example.org" in detail
    # The invitation's own link went into an e-mail that cannot leave: nobody has it.
    assert "The link works until" not in detail
    # The scheduler tries the invitation's e-mail, which cannot leave: it is given up (no
    # channel), and the operator's gauge counts it while nobody has acted on it.
    Dispatcher(db, {}, lambda token: f"{BASE_URL}/p/{token}").drain()
    with db.session() as session:
        assert session.scalars(select(OutboxMessage.state)).one() is OutboxState.FAILED
    assert collect(db, dt.datetime.now(dt.UTC)).outbox_failed == 1

    with caplog.at_level(logging.INFO):
        printed = invite_link(database_url, "Kari.Nordmann@example.org")
    path = printed_path(printed)
    token = path.rsplit("/", 1)[1]
    # The printed link is one the person can have: the page says until when it works.
    detail = client.get(invited.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "The link works until" in detail
    assert "until" in printed.stderr and "first password" in printed.stderr
    # The token is on the operator's screen only: not in the command's log, not stored.
    assert token not in printed.stderr
    with db.session() as session:
        invites = list(session.scalars(select(StaffInvite).order_by(StaffInvite.id)))
        audit = list(session.scalars(select(AdminAudit).order_by(AdminAudit.id)))
        outbox = list(session.scalars(select(OutboxMessage)))
    assert [i.revoked_at is not None for i in invites] == [True, False]
    assert invites[1].token_hash == hash_token(token) and invites[1].created_by is None
    assert len(outbox) == 1  # the e-mail of the web's invitation only; none for the command
    assert [(row.action, row.actor) for row in audit] == [
        ("staff_invited", "staff"),
        ("staff_invited_again", "command"),
    ]
    assert all(token not in f"{row.before} {row.after} {row.reason}" for row in audit)

    choose_password(app, path, NEW_PASSWORD)
    log_in(app.test_client(), "kari.nordmann@example.org", NEW_PASSWORD)
    assert app.test_client().get(path + "?lang=en").status_code == 410  # spent
    # She has her password, which the e-mail was for: nothing is left to act on.
    assert collect(db, dt.datetime.now(dt.UTC)).outbox_failed == 0
    trail = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Command line" in trail and "New invitation sent" in trail
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert token not in logged


def test_a_second_printed_link_withdraws_the_first_and_an_active_account_gets_a_new_password(
    app: Flask, database_url: str
) -> None:
    db = _db(app)
    world = make_world(db)
    first = printed_path(invite_link(database_url, world.therapist_username))
    second_run = invite_link(database_url, world.therapist_username)
    second = printed_path(second_run)
    assert first != second
    assert "a new password" in second_run.stderr

    assert app.test_client().get(first + "?lang=en").status_code == 410
    # The old password works until the new one is chosen.
    log_in(app.test_client(), world.therapist_username, PASSWORD)
    choose_password(app, second, NEW_PASSWORD)
    log_in(app.test_client(), world.therapist_username, NEW_PASSWORD)
    with db.session() as session:
        actions = session.scalars(
            select(AdminAudit.action).where(AdminAudit.actor == "command").order_by(AdminAudit.id)
        ).all()
    assert actions == ["password_link_sent", "password_link_sent"]


def test_an_unknown_username_is_refused_with_a_clear_message_and_its_own_exit_code(
    app: Flask, database_url: str
) -> None:
    db = _db(app)
    make_staff(db, (Role.ADMIN, None))
    refused = invite_link(database_url, "nobody@example.org")
    assert refused.returncode == 3
    assert "No staff account has the username nobody@example.org" in refused.stderr
    assert refused.stdout == "" and "Traceback" not in refused.stderr
    with db.session() as session:
        assert session.scalars(select(StaffInvite)).all() == []
        assert session.scalars(select(AdminAudit)).all() == []


def test_without_the_public_address_no_link_to_the_machine_itself_is_printed(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    db = _db(app)
    world = make_world(db)
    refused = run_fit_platform(
        database_url, "staff", "invite-link", world.therapist_username, FIT_PUBLIC_BASE_URL=""
    )
    # Production needs the address for everything, not only for this command.
    assert refused.returncode == 1
    assert "FIT_PUBLIC_BASE_URL is required in production" in refused.stderr
    assert refused.stdout == ""
    (line,) = [json.loads(line) for line in refused.stderr.splitlines()]  # a bad setting's line
    assert line["setting"] == "FIT_PUBLIC_BASE_URL" and line["level"] == "ERROR"
    with db.session() as session:
        assert session.scalars(select(StaffInvite)).all() == []
