"""An administrator of a service without e-mail is told before inviting, not after.

Invitations and new-password links go only by e-mail. Without `FIT_SMTP_HOST` the form used
to say "The invitation is on its way by e-mail" and the account page "waiting to be sent"
until the dispatcher failed: a new clinic's administrator invited the whole staff and no one
ever got a link. The form now says so first, and the page after inviting does not promise a
mail that cannot leave.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Staff
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import csrf_token, log_in

NO_MAIL = "E-mail is not set up for this service"


def _invite(client: FlaskClient, unit_id: int, lang: str) -> str:
    page = client.get(f"/admin/staff/invite?lang={lang}").get_data(as_text=True)
    response = client.post(
        "/admin/staff/invite",
        data={
            "csrf_token": csrf_token(page),
            "email": "kari@example.org",
            "display_name": "Kari Nordmann",
            "role": "therapist",
            "unit": str(unit_id),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_without_email_the_invitation_form_warns_and_promises_no_mail(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)

    form = client.get("/admin/staff/invite?lang=en").get_data(as_text=True)
    assert NO_MAIL in form and "FIT_SMTP_HOST" in form
    assert "Det er ikke satt opp e-post" in client.get("/admin/staff/invite?lang=nb").get_data(
        as_text=True
    )

    after = _invite(client, unit.id, "en")
    assert "on its way" not in after
    assert "The account is made, but no invitation can be sent" in after
    with db.session() as session:
        assert session.scalar(select(Staff.id).where(Staff.username == "kari@example.org"))


def test_with_email_set_up_the_form_gives_no_such_warning(
    database_url: str, tmp_path: object
) -> None:
    from pathlib import Path

    from tests.conftest import make_test_app

    app = make_test_app(database_url, Path(str(tmp_path)) / "instance", smtp_host="127.0.0.1")
    try:
        db: Database = app.extensions["fit_db"]
        make_unit(db)
        admin = make_staff(db, (Role.ADMIN, None))
        client = app.test_client()
        log_in(client, admin.username, PASSWORD)
        form = client.get("/admin/staff/invite?lang=en").get_data(as_text=True)
        assert NO_MAIL not in form
    finally:
        app.extensions["fit_db"].dispose()


def test_without_email_the_account_page_offers_no_invitation_that_cannot_leave(
    app: Flask, client: FlaskClient
) -> None:
    """The account page of someone invited on a service without e-mail used to say "E-mail:
    waiting to be sent" and offer "Send a new invitation", which could never leave."""
    from fit_platform.db.models import OutboxMessage, StaffInvite

    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    after = _invite(client, unit.id, "en")
    assert "waiting to be sent" not in after
    assert "Send a new invitation" not in after
    assert "No e-mail can be sent to kari@example.org" in after
    assert "fit-platform staff invite-link kari@example.org" in after
    with db.session() as session:
        staff_id = session.scalars(
            select(Staff.id).where(Staff.username == "kari@example.org")
        ).one()
    nb = client.get(f"/admin/staff/{staff_id}?lang=nb").get_data(as_text=True)
    assert "Ingen e-post kan sendast" not in nb and "Ingen e-post kan sendes" in nb

    def links() -> tuple[int, int]:
        with db.session() as session:
            return (
                len(session.scalars(select(StaffInvite.id)).all()),
                len(session.scalars(select(OutboxMessage.id)).all()),
            )

    before = links()
    page = client.get(f"/admin/staff/{staff_id}?lang=en").get_data(as_text=True)
    refused = client.post(
        f"/admin/staff/{staff_id}/invite-again?lang=en",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert "No invitation can be sent: e-mail is not set up for this service." in text
    assert "on its way" not in text
    assert links() == before

    listing = client.get("/admin/staff?lang=en").get_data(as_text=True)
    assert NO_MAIL in listing and "fit-platform staff invite-link" in listing
    assert "Invite a new person by e-mail" not in listing
