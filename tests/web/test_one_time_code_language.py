"""The one-time code comes in the language of the page the patient asked for it from, and the
page says where it went (SMS or e-mail).

A patient who switched the page to another language has just told us which one they read; a
code in their registered language could be one they cannot read. Only the code follows the
page: every other message keeps the registered language (docs/messaging.md). Each case goes
from the patient's click, through the web layer and the dispatcher, to the real loopback SMS
endpoint, and the text that arrives is compared word for word.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Invitation, OutboxMessage, Patient, Unit
from fit_platform.domain.codes import Channel, InvitationState, Language, MessageKind
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.email_smtp import SmtpConfig, SmtpEmailChannel
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from tests.messaging.conftest import (
    SmsEndpoint,
    SmtpServer,
    compiled_translations,
    sms_endpoint,
    smtp_server,
)
from tests.support.factories import World, make_world
from tests.support.patient import Patient as PatientBrowser
from tests.support.patient import now, open_invitation

__all__ = ["compiled_translations", "sms_endpoint", "smtp_server"]

# What arrives, with the six digits as ______ (the neutral sender name is in the same language,
# a common noun in lower case inside the sentence).
CODE_SMS = {
    "nb": "Koden din for helsetjenesten: ______. Den virker i 10 minutter.",
    "nn": "Koden din for helsetenesta: ______. Han verkar i 10 minutt.",
    "en": "Your code for the health service: ______. It works for 10 minutes.",
}


def _patient_asks_for_a_code(
    app: Flask, client: FlaskClient, world: World, registered: str, page: str
) -> tuple[PatientBrowser, int]:
    db: Database = app.extensions["fit_db"]
    with db.transaction() as session:
        session.get_one(Patient, world.patient_id).preferred_language = Language(registered)
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    # The patient opens the link and switches the page to `page` (the language menu's link).
    patient = PatientBrowser(client, token, lang=page)
    assert patient.post(f"/p/{token}", {"action": "progress"}).status_code == 302
    asked = patient.post("/p/progress", {"action": "send"})
    assert asked.status_code == 200
    assert f'lang="{page}"' in asked.get_data(as_text=True)
    return patient, invitation_id


def _deliver(db: Database, sms_endpoint: SmsEndpoint, translations: Path) -> list[str]:
    config = SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)
    with HttpSmsChannel(config) as sms:
        dispatcher = Dispatcher(
            db, {Channel.SMS: sms}, lambda t: f"https://fit.example.no/p/{t}",
            translations_dir=translations,
        )  # fmt: skip
        dispatcher.drain()
    return [str(message["text"]) for message in sms_endpoint.accepted]


@pytest.mark.parametrize(
    ("registered", "page_language"),
    [("nb", "en"), ("en", "nn"), ("nn", "nb"), ("nb", "nb")],
    ids=["nb-asked-in-en", "en-asked-in-nn", "nn-asked-in-nb", "nb-asked-in-nb"],
)
def test_the_code_sms_is_in_the_language_of_the_page_it_was_asked_from(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    compiled_translations: Path,
    registered: str,
    page_language: str,
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    _patient_asks_for_a_code(app, client, world, registered, page_language)
    texts = _deliver(db, sms_endpoint, compiled_translations)
    assert len(texts) == 1
    assert re.sub(r"\d{6}", "______", texts[0]) == CODE_SMS[page_language]


def test_after_asking_for_a_code_in_english_the_reminder_keeps_the_registered_language(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, compiled_translations: Path
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    # No quiet hours at this unit: the reminder is sent whatever the hour the suite runs at
    # (the code, which the patient is waiting for, is sent at any hour anyway).
    with db.transaction() as session:
        unit = session.get_one(Unit, world.unit_id)
        unit.quiet_from = unit.quiet_until = "00:00"
    _patient_asks_for_a_code(app, client, world, "nn", "en")
    # A questionnaire still open, whose reminder is due now.
    invitation_id, _token = open_invitation(db, world, "gad7")
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"{invitation_id}:{MessageKind.REMINDER.value}:1",
                patient_id=world.patient_id,
                invitation_id=invitation_id,
                kind=MessageKind.REMINDER,
                channel=Channel.SMS,
                next_attempt_at=now() - dt.timedelta(minutes=1),
            )
        )
    texts = _deliver(db, sms_endpoint, compiled_translations)
    assert len(texts) == 2
    reminder, code = sorted(texts, key=lambda text: "https://" not in text)
    assert code.startswith("Your code for the health service: ")
    assert reminder.startswith("Påminning frå helsetenesta: ")


@pytest.mark.parametrize(
    ("page_language", "said"),
    [
        ("nb", "Vi har sendt deg en kode på e-post. Den virker i 10 minutter."),
        ("nn", "Vi har sendt deg ein kode på e-post. Koden verkar i 10 minutt."),
        ("en", "We have sent you a code by e-mail. It works for 10 minutes."),
    ],
)
def test_the_page_says_the_code_went_by_e_mail_when_there_is_no_phone_for_the_sms(
    app: Flask,
    client: FlaskClient,
    smtp_server: SmtpServer,
    compiled_translations: Path,
    page_language: str,
    said: str,
) -> None:
    """A patient who chose SMS but has no phone number on record gets the code by e-mail; the
    page says so, or they would wait for a text message that never comes."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    with db.transaction() as session:
        patient_row = session.get_one(Patient, world.patient_id)
        patient_row.preferred_channel = Channel.SMS
        patient_row.phone_e164 = None
        patient_row.email = "kari@example.no"
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    patient = PatientBrowser(client, token, lang=page_language)
    patient.post(f"/p/{token}", {"action": "progress"})
    page = patient.post("/p/progress", {"action": "send"}).get_data(as_text=True)
    assert said in page

    config = SmtpConfig(
        smtp_server.host, smtp_server.port, sender="post@nordre.no", starttls=False,
        timeout_seconds=2,
    )  # fmt: skip
    email = SmtpEmailChannel(config)
    dispatcher = Dispatcher(
        db, {Channel.EMAIL: email}, lambda t: f"https://fit.example.no/p/{t}",
        translations_dir=compiled_translations,
    )  # fmt: skip
    assert dispatcher.drain().sent == 1
    assert [message["To"] for message in smtp_server.messages] == ["kari@example.no"]
