"""Staff administration through the web: invitations by e-mail (through a real SMTP server),
roles per unit, deactivation, the last-administrator rule and resetting a second factor."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from fit_platform.db import Database
from fit_platform.db.models import (
    AdminAudit,
    OutboxMessage,
    Staff,
    StaffInvite,
    StaffRecoveryCode,
    StaffRole,
    StaffSession,
    Unit,
)
from fit_platform.domain.codes import OutboxState, Role
from fit_platform.services.links import hash_token
from tests.messaging.conftest import SmtpServer, smtp_server
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.staff_mail import db_of, mail_app, post_form, send_mail

__all__ = ["mail_app", "smtp_server"]

NEW_PASSWORD = "kettle orchard violin thunder"


def _audit(db: Database) -> list[AdminAudit]:
    with db.session() as session:
        return list(session.scalars(select(AdminAudit).order_by(AdminAudit.id)))


def _post_invite(client: FlaskClient, lang: str, fields: dict[str, str]) -> TestResponse:
    """The invitation form, read in `lang` and sent with `fields`."""
    return post_form(client, f"/admin/staff/invite?lang={lang}", "/admin/staff/invite", fields)


def _admin_of_two_units(client: FlaskClient) -> None:
    """An administrator logged in, in a service of two units (so no unit is chosen for her)."""
    db = db_of(client.application)
    make_unit(db)
    make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)


def _invite(client: FlaskClient, email: str, unit_id: int, lang: str = "en") -> TestResponse:
    return _post_invite(
        client,
        lang,
        {
            "email": email,
            "display_name": "Kari Nordmann",
            "role": "therapist",
            "unit": str(unit_id),
        },
    )


def test_an_invitation_goes_from_the_admin_form_by_smtp_to_a_new_password_and_a_login(
    mail_app: Flask, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    db = db_of(mail_app)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    admin_client = mail_app.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    with caplog.at_level(logging.INFO):
        response = _invite(admin_client, "Kari.Nordmann@Example.org", unit.id)
        assert response.status_code == 302
        send_mail(mail_app)
        (message,) = smtp_server.messages
        assert message["To"] == "kari.nordmann@example.org"
        body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
        link = re.search(r"http://localhost(/staff/invite/[A-Za-z0-9_-]+)", body)
        assert link is not None, body
        path = link.group(1)
        token = path.rsplit("/", 1)[1]
        assert len(token) >= 40  # 256 bits
        assert "72" in body

        # Only a hash is stored; the outbox row holds no token.
        with db.session() as session:
            invite = session.scalars(select(StaffInvite)).one()
            assert invite.token_hash == hash_token(token)
            sent = session.scalars(select(OutboxMessage)).one()
            assert sent.state == OutboxState.SENT and sent.patient_id is None
            assert token not in json.dumps([sent.dedupe_key, sent.last_error, sent.provider_ref])
            new = session.scalars(select(Staff).where(Staff.username.like("kari%"))).one()
            assert not new.is_active
        detail = admin_client.get(f"/admin/staff/{new.id}?lang=en").get_data(as_text=True)
        assert "Invited, has not set a password yet" in detail and "E-mail: sent." in detail

        # The new staff member: the page names their account; the link is not spent by GET.
        person = mail_app.test_client()
        page = person.get(path + "?lang=en")
        assert page.status_code == 200
        assert "kari.nordmann@example.org" in page.get_data(as_text=True)
        assert person.get(path).status_code == 200
        weak = person.post(
            path,
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "new": "Passord12345",
                "confirm": "Passord12345",
            },
        )
        assert weak.status_code == 400
        assert "That password is too common" in weak.get_data(as_text=True)
        with db.session() as session:
            assert not session.get_one(Staff, new.id).is_active
        done = person.post(
            path,
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "new": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
        )
        assert done.status_code == 302 and done.headers["Location"] == "/staff/login"
        log_in(person, "kari.nordmann@example.org", NEW_PASSWORD)
        assert person.get("/staff/").status_code in (200, 302)
        assert person.get("/clinician/?lang=en").status_code == 200

        # The link worked once.
        again = mail_app.test_client().get(path + "?lang=en")
        assert again.status_code == 410
        assert "Your password has already been set with this link" in again.get_data(as_text=True)

    actions = [row.action for row in _audit(db)]
    assert actions == ["staff_invited", "invitation_accepted"]
    for row in _audit(db):
        stored = f"{row.before} {row.after} {row.reason}"
        assert token not in stored and NEW_PASSWORD not in stored and "$argon2" not in stored
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert token not in logged
    assert NEW_PASSWORD not in logged


def test_an_expired_invitation_link_gets_a_clear_page_and_a_new_invitation_replaces_it(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    db = db_of(mail_app)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    admin_client = mail_app.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    assert _invite(admin_client, "ola@example.org", unit.id).status_code == 302
    send_mail(mail_app)
    first = re.search(r"/staff/invite/[A-Za-z0-9_-]+", smtp_server.messages[0].as_string())
    assert first is not None

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=73)
    mail_app.extensions["fit_clock"] = lambda: later
    log_in(admin_client, admin.username, PASSWORD)  # the earlier session has long ended
    expired = mail_app.test_client().get(first.group(0) + "?lang=en")
    assert expired.status_code == 410
    assert "The link has expired or was withdrawn" in expired.get_data(as_text=True)
    with db.session() as session:
        staff_id = session.scalars(
            select(Staff.id).where(Staff.username == "ola@example.org")
        ).one()
    detail = admin_client.get(f"/admin/staff/{staff_id}?lang=en").get_data(as_text=True)
    assert "Invitation expired or withdrawn" in detail

    mail_app.extensions.pop("fit_clock")
    response = post_form(
        admin_client,
        f"/admin/staff/{staff_id}?lang=en",
        f"/admin/staff/{staff_id}/invite-again",
        {},
    )
    assert response.status_code == 302
    send_mail(mail_app)
    second = re.search(r"/staff/invite/[A-Za-z0-9_-]+", smtp_server.messages[1].as_string())
    assert second is not None and second.group(0) != first.group(0)
    old = mail_app.test_client().get(first.group(0) + "?lang=en")
    assert old.status_code == 410
    assert mail_app.test_client().get(second.group(0)).status_code == 200
    assert [row.action for row in _audit(db)] == ["staff_invited", "staff_invited_again"]


def test_an_unknown_link_gets_a_clear_page(client: FlaskClient) -> None:
    response = client.get("/staff/invite/not-a-real-token-at-all?lang=en")
    assert response.status_code == 404
    assert "We do not know this link" in response.get_data(as_text=True)


def test_a_duplicate_email_is_refused_in_norwegian_and_nothing_is_saved(
    client: FlaskClient,
) -> None:
    db = db_of(client.application)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    existing = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, admin.username, PASSWORD)
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(Staff))
    response = _invite(client, existing.username.upper(), unit.id, lang="nb")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Det finnes allerede en konto med den e-postadressen" in html
    assert 'aria-invalid="true"' in html
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Staff)) == before
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(StaffInvite)) == 0
    assert _audit(db) == []
    bad = _invite(client, "not an address", unit.id, lang="en")
    assert bad.status_code == 400
    assert "That is not a valid e-mail address." in bad.get_data(as_text=True)
    no_unit = _post_invite(
        client,
        "en",
        {"email": "a@example.org", "display_name": "A B", "role": "unit_lead", "unit": ""},
    )
    assert no_unit.status_code == 400
    assert "Therapists and unit leads work in a unit" in no_unit.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Staff)) == before


def test_deactivation_ends_a_live_session_of_that_person_at_once(app: Flask) -> None:
    db = db_of(app)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    assert therapist.get("/clinician/").status_code == 200
    admin_client = app.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    response = post_form(
        admin_client,
        f"/admin/staff/{world.therapist_id}?lang=en",
        f"/admin/staff/{world.therapist_id}/deactivate",
        {},
    )
    assert response.status_code == 302
    # The therapist's very next request, in the browser that was logged in, is logged out.
    after = therapist.get("/clinician/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/staff/login")
    with db.session() as session:
        open_sessions = session.scalar(
            select(func.count())
            .select_from(StaffSession)
            .where(StaffSession.staff_id == world.therapist_id, StaffSession.revoked_at.is_(None))
        )
        assert open_sessions == 0
    refused = post_form(
        app.test_client(),
        "/staff/login?lang=en",
        "/staff/login",
        {"username": world.therapist_username, "password": PASSWORD},
    )
    assert refused.status_code == 401
    (row,) = _audit(db)
    assert (
        row.action == "staff_deactivated" and json.loads(row.after or "{}")["sessions_ended"] == 1
    )

    # Reactivated, the same password works again.
    post_form(
        admin_client,
        f"/admin/staff/{world.therapist_id}?lang=en",
        f"/admin/staff/{world.therapist_id}/reactivate",
        {},
    )
    log_in(app.test_client(), world.therapist_username, PASSWORD)
    assert [row.action for row in _audit(db)][-1] == "staff_reactivated"


def test_the_last_active_administrator_cannot_be_deactivated_or_lose_the_role(
    client: FlaskClient,
) -> None:
    db = db_of(client.application)
    admin = make_staff(db, (Role.ADMIN, None))
    other = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    detail = f"/admin/staff/{admin.id}?lang=en"
    # Two admins: the other one may go.
    post_form(client, detail, f"/admin/staff/{other.id}/deactivate", {})
    with db.session() as session:
        assert not session.get_one(Staff, other.id).is_active
        own_role = session.scalars(select(StaffRole.id).where(StaffRole.staff_id == admin.id)).one()
    # Now the only active admin: the admin role stays, with a clear message.
    response = post_form(client, detail, f"/admin/staff/{admin.id}/roles/{own_role}/remove", {})
    assert response.status_code == 302
    page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "This is the last active administrator" in page
    with db.session() as session:
        assert session.get(StaffRole, own_role) is not None
    # A deactivated admin does not count; and nobody deactivates their own account.
    response = post_form(client, detail, f"/admin/staff/{admin.id}/deactivate", {})
    page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "You cannot do this to your own account" in page
    with db.session() as session:
        assert session.get_one(Staff, admin.id).is_active
    assert [row.action for row in _audit(db)] == ["staff_deactivated"]


def test_resetting_a_lost_second_factor_needs_a_reason_and_ends_every_session(
    app: Flask,
) -> None:
    from fit_platform.services.recovery_codes import issue

    db = db_of(app)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    sealed = app.extensions["fit_totp_box"].seal("JBSWY3DPEHPK3PXP")
    with db.transaction() as session:
        session.execute(
            update(Staff).where(Staff.id == world.therapist_id).values(totp_secret=sealed)
        )
        issue(session, world.therapist_id, dt.datetime.now(dt.UTC))
    admin_client = app.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    detail = f"/admin/staff/{world.therapist_id}?lang=en"
    assert "10 recovery codes left" in admin_client.get(detail).get_data(as_text=True)

    empty = post_form(
        admin_client,
        detail,
        f"/admin/staff/{world.therapist_id}/second-factor-reset",
        {"reason": "  "},
    )
    assert empty.status_code == 400
    assert "Write why the second factor is reset." in empty.get_data(as_text=True)
    with db.session() as session:
        assert session.get_one(Staff, world.therapist_id).totp_secret == sealed
    assert therapist.get("/clinician/").status_code == 200

    done = post_form(
        admin_client,
        detail,
        f"/admin/staff/{world.therapist_id}/second-factor-reset",
        {"reason": "Lost phone and codes; identity checked in person by the unit lead"},
    )
    assert done.status_code == 302
    with db.session() as session:
        staff = session.get_one(Staff, world.therapist_id)
        assert staff.totp_secret is None and staff.totp_last_step is None
        assert session.scalar(select(func.count()).select_from(StaffRecoveryCode)) == 0
    assert therapist.get("/clinician/").status_code == 302
    (row,) = _audit(db)
    assert row.action == "second_factor_reset"
    assert row.reason == "Lost phone and codes; identity checked in person by the unit lead"
    assert sealed not in f"{row.before}{row.after}"
    # With the password alone the person is in again, and can set up a new app.
    log_in(app.test_client(), world.therapist_username, PASSWORD)
    trail = admin_client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Second factor reset" in trail and "identity checked in person" in trail


def _add_role(client: FlaskClient, staff_id: int, role: str, unit: str) -> TestResponse:
    """The "Add a role" form on a person's page, posted."""
    return post_form(
        client,
        f"/admin/staff/{staff_id}?lang=en",
        f"/admin/staff/{staff_id}/roles",
        {"role": role, "unit": unit},
    )


def test_roles_are_added_per_unit_and_removed_with_an_audit_row(client: FlaskClient) -> None:
    db = db_of(client.application)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    person = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, admin.username, PASSWORD)
    detail = f"/admin/staff/{person.id}?lang=en"
    added = _add_role(client, person.id, "unit_lead", str(unit.id))
    assert added.status_code == 302
    twice = _add_role(client, person.id, "unit_lead", str(unit.id))
    assert twice.status_code == 400
    assert "already has that role" in twice.get_data(as_text=True)
    bad = _add_role(client, person.id, "superuser", "")
    assert bad.status_code == 400
    with db.session() as session:
        roles = {
            (r.role, r.unit_id): r.id
            for r in session.scalars(select(StaffRole).where(StaffRole.staff_id == person.id))
        }
    assert set(roles) == {(Role.THERAPIST, unit.id), (Role.UNIT_LEAD, unit.id)}
    post_form(
        client,
        detail,
        f"/admin/staff/{person.id}/roles/{roles[(Role.THERAPIST, unit.id)]}/remove",
        {},
    )
    listing = client.get("/admin/staff?lang=en").get_data(as_text=True)
    assert "Unit lead (" in listing
    assert [row.action for row in _audit(db)] == ["role_added", "role_removed"]
    assert json.loads(_audit(db)[0].after or "{}") == {"role": f"unit_lead@{unit.id}"}


def test_the_role_form_names_a_crafted_role_and_a_missing_unit_in_one_round(
    client: FlaskClient,
) -> None:
    """A role not in the list with a unit that does not exist (a crafted post, or a unit
    removed since the page was opened): both fields get their message in the same answer; the
    unit's used to come only once the role was fixed."""
    db = db_of(client.application)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    person = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, admin.username, PASSWORD)
    both = _add_role(client, person.id, "superuser", "999999")
    assert both.status_code == 400
    html = both.get_data(as_text=True)
    assert "Choose a role from the list." in html
    assert "That unit does not exist. Choose one from the list." in html
    # The role the person has already, in the unit: one message, on the role.
    again = _add_role(client, person.id, "therapist", str(unit.id))
    assert again.status_code == 400
    assert "already has that role" in again.get_data(as_text=True)
    with db.session() as session:
        roles = session.scalars(select(StaffRole).where(StaffRole.staff_id == person.id)).all()
    assert [(row.role, row.unit_id) for row in roles] == [(Role.THERAPIST, unit.id)]
    assert _audit(db) == []


def test_the_invitation_form_lists_its_problems_in_the_order_of_the_page(
    client: FlaskClient,
) -> None:
    """The summary named the unit first, above the e-mail address the page shows first."""
    _admin_of_two_units(client)
    refused = _post_invite(
        client,
        "en",
        {"email": "", "display_name": "", "role": "therapist", "unit": ""},
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    summary = html.split("<h2>There is a problem</h2>", 1)[1].split("</div>", 1)[0]
    links = re.findall(r'<a href="#([a-z_]+)">', summary)
    assert links == ["email", "display_name", "unit"]


def test_the_unit_hint_says_what_an_administrator_chooses(client: FlaskClient) -> None:
    """The hint named only therapists and unit leads, and an administrator invited with no
    unit chosen was refused with "Choose a unit, or “All units” …" the page had not said."""
    _admin_of_two_units(client)
    page = " ".join(client.get("/admin/staff/invite?lang=en").get_data(as_text=True).split())
    assert "Administrators and service developers work for the whole service: “All units”." in page


ROUTES = [
    ("GET", "/admin/staff"),
    ("GET", "/admin/staff/invite"),
    ("POST", "/admin/staff/invite"),
    ("GET", "/admin/staff/{id}"),
    ("POST", "/admin/staff/{id}/roles"),
    ("POST", "/admin/staff/{id}/roles/1/remove"),
    ("POST", "/admin/staff/{id}/deactivate"),
    ("POST", "/admin/staff/{id}/reactivate"),
    ("POST", "/admin/staff/{id}/invite-again"),
    ("POST", "/admin/staff/{id}/second-factor-reset"),
    ("GET", "/admin/access-log"),
    ("POST", "/admin/access-log/export"),
]


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.UNIT_LEAD, Role.SERVICE_DEVELOPER])
def test_non_admins_get_403_on_every_staff_and_access_log_route(
    client: FlaskClient, role: Role
) -> None:
    db = db_of(client.application)
    unit = make_unit(db)
    staff = make_staff(db, (role, unit.id))
    log_in(client, staff.username, PASSWORD)
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    for method, path in ROUTES:
        url = path.format(id=staff.id)
        response = (
            client.get(url)
            if method == "GET"
            else client.post(url, data={"csrf_token": token, "reason": "x"})
        )
        assert response.status_code == 403, (method, url)
    with db.session() as session:
        assert session.get_one(Staff, staff.id).is_active
    assert _audit(db) == []


def test_logged_out_visitors_are_sent_to_the_login_page(client: FlaskClient) -> None:
    for _method, path in ROUTES:
        if _method == "GET":
            response = client.get(path.format(id=1))
            assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_a_double_submitted_invitation_creates_one_account_and_one_email(
    client: FlaskClient,
) -> None:
    db = db_of(client.application)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    page = client.get("/admin/staff/invite?lang=en").get_data(as_text=True)
    nonce = re.search(r'name="form_nonce"[^>]*value="([^"]+)"', page)
    assert nonce is not None
    data = {
        "csrf_token": csrf_token(page),
        "form_nonce": nonce.group(1),
        "email": "dobbel@example.org",
        "display_name": "Dobbel Klikk",
        "role": "therapist",
        "unit": str(unit.id),
    }
    first = client.post("/admin/staff/invite", data=data)
    second = client.post("/admin/staff/invite", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(StaffInvite)) == 1
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert [row.action for row in _audit(db)] == ["staff_invited"]


def test_an_invitation_names_a_bad_address_and_a_too_long_name_in_one_round(
    client: FlaskClient,
) -> None:
    # The address was checked by the service only once the name's length was fixed.
    db = db_of(client.application)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    long_name = "Kari " + "N" * 295
    response = _post_invite(
        client,
        "nb",
        {
            "email": "not-an-email",
            "display_name": long_name,
            "role": "therapist",
            "unit": str(unit.id),
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Det er ikke en gyldig e-postadresse." in html
    assert "Skriv høyst 200 tegn." in html
    assert 'value="not-an-email"' in html and long_name in html
    assert _audit(db) == []


def test_an_invitation_names_a_taken_address_and_a_missing_unit_in_one_round(
    client: FlaskClient,
) -> None:
    db = db_of(client.application)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    existing = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, admin.username, PASSWORD)
    response = _post_invite(
        client,
        "en",
        {"email": existing.username, "display_name": "", "role": "unit_lead", "unit": ""},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is already an account with that e-mail address." in html
    assert "Enter the person's name." in html
    assert "Therapists and unit leads work in a unit" in html


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    chosen: list[str] = re.findall(r'<option selected value="([^"]*)"', select.group(1))
    assert len(chosen) == 1, chosen
    return chosen[0]


def _form_as_opened(client: FlaskClient, lang: str = "nb") -> TestResponse:
    """Fill in the person and submit the role and unit the invitation form opened with."""
    page = client.get(f"/admin/staff/invite?lang={lang}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "form_nonce": re.search(r'name="form_nonce" type="hidden" value="([^"]*)"', page).group(1),  # type: ignore[union-attr]
        "email": "kari@example.org",
        "display_name": "Kari Nordmann",
        "role": _selected(page, "role"),
        "unit": _selected(page, "unit"),
    }
    return client.post("/admin/staff/invite", data=data)


def test_the_invitation_form_opens_on_the_only_unit_and_can_be_sent_as_it_is(
    client: FlaskClient,
) -> None:
    # It opened on "Behandler" and "Alle enheter", which could only be refused.
    db = db_of(client.application)
    unit = make_unit(db)
    log_in(client, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    response = _form_as_opened(client)
    assert response.status_code == 302
    with db.session() as session:
        invited = session.scalars(select(Staff).where(Staff.username == "kari@example.org")).one()
        assert [(role.role, role.unit_id) for role in invited.roles] == [(Role.THERAPIST, unit.id)]


def test_with_several_units_the_invitation_form_asks_for_one_instead_of_all_units(
    client: FlaskClient,
) -> None:
    db = db_of(client.application)
    make_unit(db), make_unit(db)
    log_in(client, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    page = client.get("/admin/staff/invite?lang=nb").get_data(as_text=True)
    assert _selected(page, "unit") == ""
    assert '<option selected value="">Velg en enhet</option>' in page
    response = _form_as_opened(client)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Behandlere og enhetsledere arbeider i en enhet: velg en." in html
    assert 'value="kari@example.org"' in html
    # "All units" is still there for the roles that may have it, chosen on purpose.
    service_wide = _post_invite(
        client,
        "nb",
        {
            "email": "per@example.org",
            "display_name": "Per Hansen",
            "role": "service_developer",
            "unit": "all",
        },
    )
    assert service_wide.status_code == 302
    not_chosen = _post_invite(
        client,
        "en",
        {"email": "ola@example.org", "display_name": "Ola", "role": "admin", "unit": ""},
    )
    assert not_chosen.status_code == 400
    assert (
        "Administrators and service developers work for the whole service: choose “All units”."
        in not_chosen.get_data(as_text=True)
    )


def test_a_new_person_is_not_invited_into_an_archived_unit(client: FlaskClient) -> None:
    """The invitation offered archived units and sent the invitation without a word; an
    archived unit takes no new patients and sends nothing. It is not offered, a crafted
    choice of one is refused by name, and another role for someone already here may still be
    in one (marked archived), so someone can take over its open episodes."""
    db = db_of(client.application)
    in_use = make_unit(db)
    archived = make_unit(db)
    with db.transaction() as session:
        unit = session.get(Unit, archived.id)
        assert unit is not None
        unit.archived_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    admin = make_staff(db, (Role.ADMIN, None))
    person = make_staff(db, (Role.THERAPIST, in_use.id))
    log_in(client, admin.username, PASSWORD)
    form = client.get("/admin/staff/invite?lang=en").get_data(as_text=True)
    assert re.search(f'<option[^>]* value="{in_use.id}"', form)
    assert not re.search(f'<option[^>]* value="{archived.id}"', form)
    refused = _invite(client, "kari@example.no", archived.id)
    assert refused.status_code == 400
    assert "That unit is archived: it takes no new staff." in refused.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Staff)) == 2  # nothing saved
    detail = client.get(f"/admin/staff/{person.id}?lang=nb").get_data(as_text=True)
    assert re.search(
        f'<option value="{archived.id}">{re.escape(archived.name)} \\(arkivert\\)<', detail
    )
    assert _add_role(client, person.id, "therapist", str(archived.id)).status_code == 302
