"""A staff member's e-mail says which service wrote and what to log in with.

The invitation and the new-password mail used to say only "the FIT service": someone who
works for two clinics, or who gets the mail weeks after a phone call, could not tell which
service invited them or which username to use. Both mails now name the units of the
account's roles ("all units" for a service-wide role) and the username, in the person's
language. Through the admin pages, the dispatcher and the loopback SMTP server.
"""

from __future__ import annotations

import email.message
from email.header import decode_header, make_header

from flask import Flask
from sqlalchemy import update

from fit_platform.db.models import Staff, Unit
from fit_platform.domain.codes import Language, Role
from tests.messaging.conftest import SmtpServer, smtp_server
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in
from tests.support.staff_mail import db_of, mail_app, post_form, send_mail

__all__ = ["mail_app", "smtp_server"]


def _body(message: email.message.Message) -> str:
    return message.get_payload(decode=True).decode()  # type: ignore[union-attr]


def _subject(message: email.message.Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _named_unit(app: Flask, name: str) -> int:
    db = db_of(app)
    unit = make_unit(db)
    with db.transaction() as session:
        session.execute(update(Unit).where(Unit.id == unit.id).values(name=name))
    return unit.id


def test_the_invitation_names_the_unit_and_the_username_and_a_service_wide_role_all_units(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    unit_id = _named_unit(mail_app, "DPS Nordre Aker")
    admin = make_staff(db_of(mail_app), (Role.ADMIN, None))
    client = mail_app.test_client()
    log_in(client, admin.username, PASSWORD)
    for address, role, unit in (
        ("Kari.Nordmann@Example.org", "therapist", str(unit_id)),
        ("ola.utvikler@example.org", "service_developer", "all"),
    ):
        invited = post_form(
            client,
            "/admin/staff/invite?lang=en",
            "/admin/staff/invite",
            {"email": address, "display_name": "Ny Ansatt", "role": role, "unit": unit},
        )
        assert invited.status_code == 302
    send_mail(mail_app)

    therapist, developer = sorted(smtp_server.messages, key=lambda m: m["To"])
    assert therapist["To"] == "kari.nordmann@example.org"
    # A new account reads bokmål until the person chooses otherwise.
    assert _subject(therapist) == "Velg passordet ditt til FIT-tjenesten (DPS Nordre Aker)"
    body = _body(therapist)
    assert "i FIT-tjenesten for DPS Nordre Aker." in body
    assert "Brukernavnet ditt er kari.nordmann@example.org." in body
    assert _subject(developer) == "Velg passordet ditt til FIT-tjenesten (alle enheter)"
    assert "Brukernavnet ditt er ola.utvikler@example.org." in _body(developer)


def test_the_new_password_mail_names_every_unit_and_the_username_in_the_persons_language(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    db = db_of(mail_app)
    north = _named_unit(mail_app, "DPS Nord")
    south = _named_unit(mail_app, "DPS Sør")
    admin = make_staff(db, (Role.ADMIN, None))
    therapist = make_staff(db, (Role.THERAPIST, south), (Role.THERAPIST, north))
    client = mail_app.test_client()
    log_in(client, admin.username, PASSWORD)
    for language, subject, naming in (
        (
            Language.NYNORSK,
            "Vel eit nytt passord til FIT-tenesta (DPS Nord og DPS Sør)",
            f"kontoen din {therapist.username} i FIT-tenesta for DPS Nord og DPS Sør:",
        ),
        (
            Language.ENGLISH,
            "Choose a new password for the FIT service (DPS Nord and DPS Sør)",
            f"account {therapist.username} in the FIT service for DPS Nord and DPS Sør:",
        ),
    ):
        with db.transaction() as session:
            session.execute(
                update(Staff).where(Staff.id == therapist.id).values(preferred_language=language)
            )
        page = f"/admin/staff/{therapist.id}?lang=en"
        sent = post_form(client, page, f"/admin/staff/{therapist.id}/password-link", {})
        assert sent.status_code == 302
        send_mail(mail_app)
        message = smtp_server.messages[-1]
        assert _subject(message) == subject
        assert naming in _body(message)
