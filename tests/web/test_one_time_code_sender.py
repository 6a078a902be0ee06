"""The page where the patient asks for a one-time code names the sender the code's text message
comes from, and the message that arrives carries that very name.

The message's sender is the unit's neutral sender name, or the common noun "the health service"
in the patient's language, never the unit's full name (a lock screen shows the first words of a
text to anyone near the phone: docs/messaging.md). A code from a name the patient has not been
told of looks like a scam, so the page says it before the patient asks. Each case goes from the
patient's click, through the web layer and the dispatcher, to the real loopback SMS endpoint.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Episode, Invitation, Patient, Unit
from fit_platform.domain.codes import Channel, InvitationState, Language
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from tests.messaging.conftest import SmsEndpoint, compiled_translations, sms_endpoint
from tests.support.factories import make_world
from tests.support.patient import Patient as PatientBrowser
from tests.support.patient import open_invitation

__all__ = ["compiled_translations", "sms_endpoint"]

# What the page says before the code is asked for, and what arrives (digits as ______).
NEUTRAL = {
    "nb": (
        "Koden kommer i en melding fra helsetjenesten.",
        "Koden din for helsetjenesten: ______. Den virker i 10 minutter.",
    ),
    "nn": (
        "Koden kjem i ei melding frå helsetenesta.",
        "Koden din for helsetenesta: ______. Han verkar i 10 minutt.",
    ),
    "en": (
        "The code comes in a message from the health service.",
        "Your code for the health service: ______. It works for 10 minutes.",
    ),
}


def _code_page_and_sms(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    translations: Path,
    language: str,
    message_name: str | None = None,
) -> tuple[str, str, str]:
    """The code page before and after asking, and the text the SMS endpoint received."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db, language=Language(language))
    with db.transaction() as session:
        session.get_one(Unit, world.unit_id).message_name = message_name
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    patient = PatientBrowser(client, token, lang=language)
    assert patient.post(f"/p/{token}", {"action": "progress"}).status_code == 302
    before = client.get("/p/progress").get_data(as_text=True)
    asked = patient.post("/p/progress", {"action": "send"})
    assert asked.status_code == 200
    config = SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)
    with HttpSmsChannel(config) as sms:
        Dispatcher(
            db, {Channel.SMS: sms}, lambda t: f"https://fit.example.no/p/{t}",
            translations_dir=translations,
        ).drain()  # fmt: skip
    [message] = sms_endpoint.accepted
    return before, asked.get_data(as_text=True), re.sub(r"\d{6}", "______", str(message["text"]))


@pytest.mark.parametrize("language", sorted(NEUTRAL))
def test_the_code_page_names_the_neutral_sender_the_code_arrives_from(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    compiled_translations: Path,
    language: str,
) -> None:
    said, sent = NEUTRAL[language]
    before, after, text = _code_page_and_sms(
        app, client, sms_endpoint, compiled_translations, language
    )
    assert said in before and said in after
    assert text == sent


def test_the_code_page_names_the_units_sender_name_the_code_arrives_from(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, compiled_translations: Path
) -> None:
    before, _after, text = _code_page_and_sms(
        app, client, sms_endpoint, compiled_translations, "nb", message_name="Helse Vest"
    )
    assert "Koden kommer i en melding fra Helse Vest." in before
    assert text == "Koden din for Helse Vest: ______. Den virker i 10 minutter."
    assert "DPS" not in text


def test_the_code_page_names_the_sender_when_the_code_goes_by_e_mail_too(
    app: Flask, client: FlaskClient
) -> None:
    """The e-mail carries the same sender name in its subject: the page's sentence holds."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db, channel=Channel.EMAIL)
    with db.transaction() as session:
        session.get_one(Patient, world.patient_id).phone_e164 = None
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    patient = PatientBrowser(client, token, lang="nn")
    patient.post(f"/p/{token}", {"action": "progress"})
    page = client.get("/p/progress").get_data(as_text=True)
    assert "Koden kjem i ei melding frå helsetenesta." in page


def test_a_patient_in_two_units_gets_the_code_in_the_name_of_the_link_they_used(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, compiled_translations: Path
) -> None:
    """The patient is followed at Helse Vest's clinic and, since later, at a day programme
    that signs "Helse Nord". They ask for a code from Helse Vest's link: the page and the
    message both name Helse Vest, not the unit of the latest episode."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db, started_on=dt.date(2026, 3, 1))
    later = make_world(db, started_on=dt.date(2026, 9, 1))
    with db.transaction() as session:
        session.get_one(Unit, world.unit_id).message_name = "Helse Vest"
        session.get_one(Unit, later.unit_id).message_name = "Helse Nord"
        session.get_one(Episode, later.episode_id).patient_id = world.patient_id
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    patient = PatientBrowser(client, token, lang="nb")
    assert patient.post(f"/p/{token}", {"action": "progress"}).status_code == 302
    before = client.get("/p/progress").get_data(as_text=True)
    assert "Koden kommer i en melding fra Helse Vest." in before
    assert patient.post("/p/progress", {"action": "send"}).status_code == 200
    config = SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)
    with HttpSmsChannel(config) as sms:
        Dispatcher(
            db, {Channel.SMS: sms}, lambda t: f"https://fit.example.no/p/{t}",
            translations_dir=compiled_translations,
        ).drain()  # fmt: skip
    [message] = sms_endpoint.accepted
    text = re.sub(r"\d{6}", "______", str(message["text"]))
    assert text == "Koden din for Helse Vest: ______. Den virker i 10 minutter."
