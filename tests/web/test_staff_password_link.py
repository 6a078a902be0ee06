"""A staff member who has forgotten their password gets a new one through their administrator.

Before this, an active account had no way back: the login page said nothing, the account page
offered only deactivation, and invitations were for people who had never set a password. Now
the administrator sends a single-use link to the person's own e-mail address (the same
hashed, expiring link as an invitation), the person chooses a new password with it, and every
session of the account ends, since someone else may have known the old password.
"""

from __future__ import annotations

import dataclasses
import email.message
import json
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db.models import AdminAudit, StaffSession
from fit_platform.domain.codes import Role
from tests.messaging.conftest import SmtpServer, smtp_server
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.staff_mail import db_of, mail_app, post_form, send_mail

__all__ = ["mail_app", "smtp_server"]

NEW_PASSWORD = "lantern meadow copper seventeen"


def _body(message: email.message.Message) -> str:
    return message.get_payload(decode=True).decode()  # type: ignore[union-attr]


def _log_in_fails(app: Flask, username: str, password: str) -> bool:
    response = post_form(
        app.test_client(),
        "/staff/login?lang=en",
        "/staff/login",
        {"username": username, "password": password},
    )
    return response.status_code == 401


def test_the_login_page_tells_staff_who_forgot_their_password_whom_to_ask(
    client: FlaskClient,
) -> None:
    english = client.get("/staff/login?lang=en").get_data(as_text=True)
    assert "Forgotten your password?" in english
    assert "Ask your administrator" in english
    bokmaal = client.get("/staff/login?lang=nb").get_data(as_text=True)
    assert "Glemt passordet?" in bokmaal


def test_a_forgotten_password_is_replaced_through_a_link_the_administrator_sends(
    mail_app: Flask, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    db = db_of(mail_app)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    therapist = mail_app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    admin_client = mail_app.test_client()
    log_in(admin_client, admin.username, PASSWORD)

    page = f"/admin/staff/{world.therapist_id}?lang=en"
    detail = admin_client.get(page).get_data(as_text=True)
    assert "Send a link to choose a new password" in detail
    with caplog.at_level(logging.INFO):
        sent = post_form(admin_client, page, f"/admin/staff/{world.therapist_id}/password-link", {})
        assert sent.status_code == 302
        after = admin_client.get(page).get_data(as_text=True)
        assert "A link to choose a new password is on its way" in after
        assert "Active" in after  # still active: the old password works until the new one
        assert "<dt>Link to choose a new password</dt>" in after
        assert "<dt>Invitation</dt>" not in after
        send_mail(mail_app)

    (message,) = smtp_server.messages
    assert message["To"] == world.therapist_username
    body = _body(message)
    assert "made an account for you" not in body
    assert "new password" in message["Subject"] + body or "nytt passord" in (
        message["Subject"] + body
    )
    link = re.search(r"http://localhost(/staff/invite/[A-Za-z0-9_-]+)", body)
    assert link is not None, body
    path = link.group(1)
    token = path.rsplit("/", 1)[1]

    person = mail_app.test_client()
    landing = person.get(path + "?lang=en")
    assert landing.status_code == 200
    assert "Choose a new password" in landing.get_data(as_text=True)
    done = person.post(
        path,
        data={
            "csrf_token": csrf_token(landing.get_data(as_text=True)),
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302 and done.headers["Location"] == "/staff/login"
    # The login page opens with the username filled in (kept in the encrypted cookie session,
    # not in the URL), once.
    login_page = person.get("/staff/login?lang=en").get_data(as_text=True)
    assert f'value="{world.therapist_username}"' in login_page
    assert world.therapist_username not in person.get("/staff/login").get_data(as_text=True)

    # The old password is gone, the new one works, and the session open elsewhere has ended.
    assert _log_in_fails(mail_app, world.therapist_username, PASSWORD)
    log_in(mail_app.test_client(), world.therapist_username, NEW_PASSWORD)
    stale = therapist.get("/clinician/")
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/staff/login")
    assert mail_app.test_client().get(path + "?lang=en").status_code == 410

    with db.session() as session:
        audit = list(session.scalars(select(AdminAudit).order_by(AdminAudit.id)))
        open_sessions = session.scalar(
            select(func.count())
            .select_from(StaffSession)
            .where(StaffSession.staff_id == world.therapist_id, StaffSession.revoked_at.is_(None))
        )
    assert open_sessions == 1  # only the login made with the new password
    assert [row.action for row in audit] == ["password_link_sent", "password_set_by_link"]
    for row in audit:
        assert token not in f"{row.before} {row.after}" and NEW_PASSWORD not in str(row.after)
    assert json.loads(audit[1].after or "{}")["sessions_ended"] == 1
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert token not in logged
    audit_page = admin_client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Link to choose a new password sent" in audit_page


def test_a_deactivated_account_gets_no_password_link_and_its_link_stops_working(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    db = db_of(mail_app)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    admin_client = mail_app.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    page = f"/admin/staff/{world.therapist_id}?lang=en"
    assert post_form(admin_client, page, f"/admin/staff/{world.therapist_id}/password-link", {})
    send_mail(mail_app)
    link = re.search(r"/staff/invite/[A-Za-z0-9_-]+", _body(smtp_server.messages[0]))
    assert link is not None
    post_form(admin_client, page, f"/admin/staff/{world.therapist_id}/deactivate", {})
    assert mail_app.test_client().get(link.group(0) + "?lang=en").status_code == 410

    refused = post_form(admin_client, page, f"/admin/staff/{world.therapist_id}/password-link", {})
    assert refused.status_code == 302
    assert "The account is not active" in admin_client.get(page).get_data(as_text=True)
    own = f"/admin/staff/{admin.id}?lang=en"
    assert "Send a link to choose a new password" not in admin_client.get(own).get_data(
        as_text=True
    )


def test_where_staff_log_in_only_through_the_provider_no_password_link_is_offered(
    mail_app: Flask,
) -> None:
    db = db_of(mail_app)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    admin_client = mail_app.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    page = f"/admin/staff/{world.therapist_id}?lang=en"
    token = csrf_token(admin_client.get(page).get_data(as_text=True))
    mail_app.config["FIT_SETTINGS"] = dataclasses.replace(
        mail_app.config["FIT_SETTINGS"],
        oidc_issuer="https://helseid.example",
        oidc_client_id="fit",
        oidc_client_secret="secret",
        local_passwords=False,
    )
    assert "Send a link to choose a new password" not in admin_client.get(page).get_data(
        as_text=True
    )
    refused = admin_client.post(
        f"/admin/staff/{world.therapist_id}/password-link", data={"csrf_token": token}
    )
    assert refused.status_code == 404
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AdminAudit)) == 0
