"""A unit's sender name, through the seam: an administrator sets it on the unit page, and the
text message the loopback SMS endpoint receives carries it, never the clinic's own name (a
lock screen shows the first words of a message to anyone near the phone); an e-mail the
real SMTP server receives shows it as the name beside its sender address."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse as Response

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Unit
from fit_platform.domain.codes import Channel, Role
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.email_smtp import SmtpConfig, SmtpEmailChannel
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, SmtpServer, sms_endpoint, smtp_server
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo
from tests.web.test_send_times import book, clock_tick

__all__ = ["sms_endpoint", "smtp_server"]


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _admin_sets_sender_name(client: FlaskClient, unit: Unit, sender: str) -> Response:
    admin = make_staff(_db(client), (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    url = f"/admin/units/{unit.id}?lang=en"
    page = client.get(url).get_data(as_text=True)
    assert "Sender name in text messages and e-mails (optional)" in page
    fields = {
        "name": unit.name,
        "code": unit.code,
        "kind": "outpatient",
        "phone": unit.phone or "",
        "opening_hours": "",
        "quiet_from": "21:00",
        "quiet_until": "08:00",
        "message_name": sender,
    }
    data = {f"unit-{key}": value for key, value in fields.items()}
    return client.post(url, data={"csrf_token": csrf_token(page), **data})


def _therapist_books_tomorrow(
    client: FlaskClient, unit: Unit, channel: Channel = Channel.SMS
) -> None:
    db = _db(client)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    world = make_world(db, unit=unit, therapist=therapist, channel=channel)
    give_plan(db, world.episode_id, DAY_BEFORE)
    log_in(client, therapist.username, PASSWORD)
    book(client, f"/clinician/episodes/{world.episode_id}/appointments", "2026-12-04", "09:30")


def test_the_sender_name_an_admin_sets_is_what_the_patients_phone_shows(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    unit = make_unit(db)
    assert _admin_sets_sender_name(client, unit, "Helse Vest").status_code == 302
    with db.session() as session:
        assert session.get_one(Unit, unit.id).message_name == "Helse Vest"
        audit = session.scalars(select(AdminAudit).where(AdminAudit.action == "unit_changed"))
        assert json.loads(audit.one().after or "{}")["message_name"] == "Helse Vest"
    _therapist_books_tomorrow(client, unit)
    clock_tick(db, sms, oslo(2026, 12, 3, 10))
    [message] = sms_endpoint.accepted
    assert message["text"].startswith("Helse Vest har sendt deg noen korte spørsmål.")
    assert unit.name not in message["text"] and "DPS" not in _words(message["text"])


def test_without_a_sender_name_the_text_is_neutral(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    unit = make_unit(db)
    _therapist_books_tomorrow(client, unit)
    clock_tick(db, sms, oslo(2026, 12, 3, 10))
    [message] = sms_endpoint.accepted
    assert message["text"].startswith("Helsetjenesten har sendt deg")
    assert "DPS" not in _words(message["text"])


def _mail_tick(db: Database, smtp_server: SmtpServer) -> None:
    """Every scheduler job once at 10:00 the day before the meeting, sending by e-mail."""
    email = SmtpEmailChannel(
        SmtpConfig(
            smtp_server.host, smtp_server.port, sender="fit@dps.example.no", starttls=False,
            timeout_seconds=2,
        )
    )  # fmt: skip
    clock = Clock(oslo(2026, 12, 3, 10))
    dispatcher = Dispatcher(db, {Channel.EMAIL: email}, lambda t: f"https://x/p/{t}", clock=clock)
    run_once(db, dispatcher, clock=clock)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Helse Vest", "Helse Vest <fit@dps.example.no>"),
        # No name set: the neutral default, as it starts a sentence.
        ("", "Helsetjenesten <fit@dps.example.no>"),
        # A line break posted in the name would end the header: it is a space there.
        ("Helse\r\nVest", "Helse Vest <fit@dps.example.no>"),
    ],
)
def test_an_email_shows_the_units_sender_name_beside_its_address(
    client: FlaskClient, smtp_server: SmtpServer, typed: str, shown: str
) -> None:
    db = _db(client)
    unit = make_unit(db)
    assert _admin_sets_sender_name(client, unit, typed).status_code == 302
    _therapist_books_tomorrow(client, unit, Channel.EMAIL)
    _mail_tick(db, smtp_server)
    [message] = smtp_server.messages
    assert message["From"] == shown
    assert unit.name not in message["From"]


def _words(text: str) -> str:
    """The message without its link, whose random token may hold any three letters ("DPS"
    once, in a run of the suite)."""
    return re.sub(r"https?://\S+", "", text)


def test_a_sender_name_longer_than_a_lock_screen_line_is_refused_and_nothing_saved(
    client: FlaskClient,
) -> None:
    db = _db(client)
    unit = make_unit(db)
    response = _admin_sets_sender_name(client, unit, "Helse Vest " * 5)
    assert response.status_code == 422
    assert "Write at most 40 characters." in response.get_data(as_text=True)
    with db.session() as session:
        assert session.get_one(Unit, unit.id).message_name is None


def test_a_sender_name_with_typographic_punctuation_is_sent_in_the_sms_alphabet(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    # Pasted from a letterhead: an en dash and Norwegian quotation marks, neither in the SMS
    # alphabet, so each of the unit's messages would go in UCS-2 (two or three times as
    # many paid parts). The message writes them plainly; the name is kept as typed.
    db = _db(client)
    unit = make_unit(db)
    typed = "Helse Nord – «Ungdom»"
    assert _admin_sets_sender_name(client, unit, typed).status_code == 302
    with db.session() as session:
        assert session.get_one(Unit, unit.id).message_name == typed
    _therapist_books_tomorrow(client, unit)
    clock_tick(db, sms, oslo(2026, 12, 3, 10))
    [message] = sms_endpoint.accepted
    assert message["text"].startswith('Helse Nord - "Ungdom" har sendt deg noen korte spørsmål.')
    assert not set(message["text"]) & set("–«»")
