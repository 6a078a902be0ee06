"""A patient who has typed a wrong code too many times is told so, and a new code asked for
at once really comes.

Seen walking the code step: after five wrong tries the right code read "wrong or too old",
and a new code asked for in the same clock minute was announced ("We have sent you a code by
SMS") but never sent: the message's key was one per patient per minute, so the new request
was taken for a double click of the first. From the patient's clicks through the web layer
and the dispatcher to the real loopback SMS endpoint."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Invitation
from fit_platform.domain.codes import Channel, InvitationState
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from tests.messaging.conftest import SmsEndpoint, compiled_translations, sms_endpoint
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation

__all__ = ["compiled_translations", "sms_endpoint"]

MOMENT = dt.datetime(2026, 12, 3, 10, 15, 5, tzinfo=dt.UTC)  # every click in one minute


def _codes(db: Database, sms_endpoint: SmsEndpoint, translations: Path) -> list[str]:
    config = SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)
    with HttpSmsChannel(config) as sms:
        Dispatcher(
            db, {Channel.SMS: sms}, lambda t: f"https://fit.example.no/p/{t}",
            translations_dir=translations, clock=lambda: MOMENT,
        ).drain()  # fmt: skip
    texts = [str(message["text"]) for message in sms_endpoint.accepted]
    return [found.group(0) for text in texts if (found := re.search(r"\d{6}", text))]


def _at_the_code_step(app: Flask, client: FlaskClient) -> tuple[Database, Patient]:
    """A patient whose questionnaire is answered, at the code step of "See your progress";
    every click of the test in one minute."""
    app.extensions["fit_clock"] = lambda: MOMENT
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    patient = Patient(client, token)
    assert patient.post(f"/p/{token}", {"action": "progress"}).status_code == 302
    return db, patient


def test_a_locked_code_is_named_and_a_new_one_asked_for_at_once_arrives(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, compiled_translations: Path
) -> None:
    db, patient = _at_the_code_step(app, client)
    assert patient.post("/p/progress", {"action": "send"}).status_code == 200
    [first] = _codes(db, sms_endpoint, compiled_translations)

    wrong = "000000" if first != "000000" else "111111"
    for _ in range(5):
        refused = patient.post("/p/progress?lang=en", {"action": "verify", "verify-code": wrong})
        assert refused.status_code == 422
    locked = patient.post("/p/progress?lang=en", {"action": "verify", "verify-code": first})
    assert locked.status_code == 422
    assert "typed wrong too many times" in locked.get_data(as_text=True)

    again = patient.post("/p/progress?lang=en", {"action": "send"})
    assert "We have sent you a code by SMS" in again.get_data(as_text=True)
    codes = _codes(db, sms_endpoint, compiled_translations)
    assert len(codes) == 2, codes  # the new code really went
    verified = patient.post("/p/progress", {"action": "verify", "verify-code": codes[1]})
    assert verified.status_code == 302


def test_two_clicks_before_the_code_has_left_still_send_one(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, compiled_translations: Path
) -> None:
    db, patient = _at_the_code_step(app, client)
    for _ in range(2):
        assert patient.post("/p/progress", {"action": "send"}).status_code == 200
    assert len(_codes(db, sms_endpoint, compiled_translations)) == 1
