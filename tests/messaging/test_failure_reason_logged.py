"""A send that fails says why in the log, not only in the outbox row's `last_error`: the
retry and the failed line carry the same reason (a fixed phrase with a status code or an
error class), and never the patient's address or the message's text. Made by the real
SMTP adapter against the real loopback server."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
from pathlib import Path

import pytest

from fit_platform.db import Database
from fit_platform.db.models import OutboxMessage, Patient
from fit_platform.domain.codes import Channel, Language, MessageKind, OutboxState
from fit_platform.logging_setup import JsonFormatter
from fit_platform.messaging.channels import loggable_reason
from fit_platform.messaging.dispatcher import Dispatcher, DispatcherSettings
from fit_platform.messaging.email_smtp import SmtpConfig, SmtpEmailChannel
from tests.messaging.conftest import SmtpServer
from tests.support.factories import make_invitation, make_world
from tests.support.scheduling import Clock, oslo

NOON = oslo(2026, 11, 24, 12)
ADDRESS = "kari.loggsjekk@example.org"


def _queued_reminder(db: Database) -> None:
    world = make_world(db, channel=Channel.EMAIL, language=Language.BOKMAAL)
    with db.transaction() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None
        patient.email = ADDRESS
    invitation, _token = make_invitation(db, world, due_at=NOON - dt.timedelta(hours=1))
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"{invitation.id}:{MessageKind.REMINDER.value}:1",
                patient_id=world.patient_id,
                invitation_id=invitation.id,
                kind=MessageKind.REMINDER,
                channel=Channel.EMAIL,
                next_attempt_at=NOON,
            )
        )


def _dispatcher(db: Database, port: int, translations: Path, clock: Clock) -> Dispatcher:
    email = SmtpEmailChannel(
        SmtpConfig("127.0.0.1", port, sender="post@nordre.no", starttls=False, timeout_seconds=2)
    )
    return Dispatcher(
        db,
        {Channel.EMAIL: email},
        lambda t: f"https://fit.example.no/p/{t}",
        DispatcherSettings(max_attempts=3),
        clock,
        translations_dir=translations,
    )


def _lines(caplog: pytest.LogCaptureFixture, message: str) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.getMessage() == message
    ]


def test_a_refused_and_an_unreachable_mail_server_are_named_at_retry_and_at_failure(
    db: Database,
    smtp_server: SmtpServer,
    compiled_translations: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="fit_platform")
    _queued_reminder(db)
    clock = Clock(NOON)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    # 1. Nothing listening: retried later, and the line says the relay was unreachable.
    assert _dispatcher(db, closed_port, compiled_translations, clock).drain().retried == 1
    # 2. The relay says "try later": retried again.
    smtp_server.refuse = "451 4.3.0 try again later"
    clock.advance(hours=1)
    assert _dispatcher(db, smtp_server.port, compiled_translations, clock).drain().retried == 1
    # 3. The relay refuses for good: the message fails.
    smtp_server.refuse = "500 5.0.0 refused"
    clock.advance(hours=1)
    assert _dispatcher(db, smtp_server.port, compiled_translations, clock).drain().failed == 1

    retries = _lines(caplog, "outbox message retry")
    assert [line["reason"] for line in retries] == [
        "smtp unavailable: ConnectionRefusedError",
        "smtp server refused: 451",
    ]
    failed = _lines(caplog, "outbox message failed")
    assert [(line["reason"], line["attempts"]) for line in failed] == [
        ("smtp server refused: 500", 3)
    ]
    with db.session() as session:
        row = session.query(OutboxMessage).one()
        assert row.state is OutboxState.FAILED and row.last_error == failed[0]["reason"]
    # The app's own lines (the test relay's `mail.log` is the outside world's).
    ours = [record for record in caplog.records if record.name.startswith("fit_platform")]
    formatted = "\n".join(JsonFormatter().format(record) for record in ours)
    assert "kari.loggsjekk" not in formatted


@pytest.mark.parametrize(
    "text",
    [
        "recipient refused: kari@example.org",
        "sms provider refused the message: +4791234567",
        "smtp server refused: 550 5.1.1 <kari@example.org>: no such user",
        "Hei Kari, svar på spørsmålene",
    ],
)
def test_an_error_text_of_another_shape_is_not_logged(text: str) -> None:
    assert loggable_reason(text) == "unrecognised error"
