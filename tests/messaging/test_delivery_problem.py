"""A message that failed for good reaches the therapist with whose problem it was: the patient's
address, or the message service. Each failure is made by the real adapter against the real
loopback SMS endpoint or SMTP server, then read on the therapist's pre-session view."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import OutboxMessage
from fit_platform.domain.codes import Channel, InvitationState, MessageKind, OutboxState
from fit_platform.messaging.delivery_problem import DeliveryProblem, delivery_problem
from fit_platform.messaging.dispatcher import Dispatcher, DispatcherSettings
from fit_platform.messaging.email_smtp import SmtpConfig, SmtpEmailChannel
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, SmtpServer
from tests.support.clinical import add_failed_message
from tests.support.factories import PASSWORD, World, make_invitation, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo

# Noon in Oslo, outside every unit's quiet hours.
NOON = oslo(2026, 11, 24, 12)


# Generous: the loopback endpoint answers in milliseconds, but a busy machine can hold its answer
# back past half a second, and nothing here tests a timeout (tests/messaging/test_dispatcher.py).
@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    channel = HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 5.0))
    yield channel
    channel.close()


def _reminder_fails(
    db: Database,
    world: World,
    channels: dict[Channel, object],
    translations: Path,
    channel: Channel = Channel.SMS,
) -> OutboxMessage:
    invitation, _token = make_invitation(db, world, due_at=NOON - dt.timedelta(hours=1))
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"{invitation.id}:{MessageKind.REMINDER.value}:1",
                patient_id=world.patient_id,
                invitation_id=invitation.id,
                kind=MessageKind.REMINDER,
                channel=channel,
                next_attempt_at=NOON,
            )
        )
    dispatcher = Dispatcher(
        db,
        channels,  # type: ignore[arg-type]
        lambda t: f"https://fit.example.no/p/{t}",
        DispatcherSettings(max_attempts=1),
        Clock(NOON),
        translations_dir=translations,
    )
    assert dispatcher.drain().failed == 1
    with db.session() as session:
        row = session.query(OutboxMessage).one()
        assert row.state is OutboxState.FAILED
        return row


def _presession(client: FlaskClient, world: World) -> str:
    log_in(client, world.therapist_username, PASSWORD)
    return client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)


ADDRESS_ADVICE = "phone number or e-mail address.</p>"
SERVICE_ADVICE = "Tell your administrator if it happens again."


@pytest.mark.parametrize(
    ("mode", "problem", "shown", "advice", "not_advised"),
    [
        # A number the SMS provider refuses: the therapist is asked to check it.
        (
            "400",
            DeliveryProblem.REFUSED,
            "refused by the provider: the number or address may be wrong",
            ADDRESS_ADVICE,
            SERVICE_ADVICE,
        ),
        # A gateway that is down is not blamed on the patient's number.
        (
            "500",
            DeliveryProblem.SERVICE,
            "the message service did not work",
            SERVICE_ADVICE,
            ADDRESS_ADVICE,
        ),
    ],
)
def test_the_therapist_reads_whose_problem_a_failed_sms_was_and_the_advice_that_fits(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    compiled_translations: Path,
    mode: str,
    problem: DeliveryProblem,
    shown: str,
    advice: str,
    not_advised: str,
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    sms_endpoint.mode = mode
    row = _reminder_fails(db, world, {Channel.SMS: sms}, compiled_translations)
    assert delivery_problem(row.last_error) is problem
    page = _presession(client, world)
    assert shown in page
    assert advice in page and not_advised not in page


def test_an_address_the_mail_server_refuses_and_a_missing_address_are_the_patients_details(
    db: Database,
    smtp_server: SmtpServer,
    compiled_translations: Path,
) -> None:
    world = make_world(db)
    email = SmtpEmailChannel(
        SmtpConfig(
            smtp_server.host,
            smtp_server.port,
            sender="post@nordre.no",
            starttls=False,
            timeout_seconds=2,
        )
    )
    smtp_server.refuse = "550 5.1.1 no such user"
    row = _reminder_fails(db, world, {Channel.EMAIL: email}, compiled_translations, Channel.EMAIL)
    assert delivery_problem(row.last_error) is DeliveryProblem.REFUSED
    assert delivery_problem("no address") is DeliveryProblem.NO_ADDRESS


@pytest.mark.parametrize(
    ("last_error", "problem"),
    [
        ("sms provider refused the message: 401", DeliveryProblem.SERVICE),  # our credentials
        ("sms provider refused the message: 404", DeliveryProblem.REFUSED),
        ("sms provider unreachable: ConnectError", DeliveryProblem.SERVICE),
        ("sms provider timed out", DeliveryProblem.SERVICE),
        ("smtp login refused: 535", DeliveryProblem.SERVICE),
        ("no channel configured", DeliveryProblem.SERVICE),
        (None, DeliveryProblem.SERVICE),
    ],
)
def test_every_other_failure_is_the_services(
    last_error: str | None, problem: DeliveryProblem
) -> None:
    assert delivery_problem(last_error) is problem


def _appointments(client: FlaskClient, world: World) -> str:
    response = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _invitation_status(page: str) -> str:
    table = page[
        page.index(">Questionnaires sent</h2>") : page.index(
            '<h2 id="message-delivery">Message delivery'
        )
    ]
    cells: list[str] = re.findall(r'<td data-label="Status">(.*?)</td>', table)
    assert len(cells) == 1, cells
    return cells[0]


@pytest.mark.parametrize(
    ("mode", "shown", "advice", "not_advised"),
    [
        (
            "400",
            "Not delivered: refused by the provider: the number or address may be wrong",
            ADDRESS_ADVICE,
            SERVICE_ADVICE,
        ),
        ("500", "Not delivered: the message service did not work", SERVICE_ADVICE, ADDRESS_ADVICE),
    ],
    ids=["number_refused", "gateway_down"],
)
def test_the_appointments_page_says_a_questionnaire_was_not_delivered_and_why(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    compiled_translations: Path,
    mode: str,
    shown: str,
    advice: str,
    not_advised: str,
) -> None:
    """The therapist books a session; the scheduler's invitation SMS fails for good at the real
    loopback endpoint; the appointments page says it was not delivered, with the pre-session
    view's cause and advice, instead of "Scheduled", and still does once the window is over."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    clock = Clock(NOON)
    app.extensions["fit_clock"] = clock
    log_in(client, world.therapist_username, PASSWORD)
    form = _appointments(client, world)
    booked = client.post(
        f"/clinician/episodes/{world.episode_id}/appointments",
        data={"csrf_token": csrf_token(form), "day": "2026-11-26", "time": "10:00"},
    )
    assert booked.status_code == 302

    # The day before the session, at 10:00 Oslo time, the invitation is due and sent.
    clock.now = oslo(2026, 11, 25, 10)
    sms_endpoint.mode = mode
    dispatcher = Dispatcher(
        db,
        {Channel.SMS: sms},
        lambda t: f"https://fit.example.no/p/{t}",
        DispatcherSettings(max_attempts=1),
        clock,
        translations_dir=compiled_translations,
    )
    run_once(db, dispatcher, clock=clock)
    with db.session() as session:
        message = session.query(OutboxMessage).one()
        assert (message.kind, message.state) == (MessageKind.INVITATION, OutboxState.FAILED)

    # A day later by the app's clock: the therapist's session of yesterday has ended.
    log_in(client, world.therapist_username, PASSWORD)
    page = _appointments(client, world)
    assert _invitation_status(page) == f"<strong>{shown}</strong>"
    assert advice in page and not_advised not in page
    # The delivery table gives the same cause, as cards on a phone with each cell named
    # (as a table it ran off a 320 px screen: "Attempts" read "Att").
    assert "Delivery failed: " + shown.removeprefix("Not delivered: ") in page
    delivery = page[page.index('<h2 id="message-delivery">Message delivery') :]
    assert '<table class="reflow">' in delivery
    assert '<td data-label="Attempts">1</td>' in delivery
    # And which message it was: the questionnaire's invitation, not a bare "SMS".
    assert re.search(r'<td data-label="Message">[^<]*PHQ-9[^<]*, invitation</td>', delivery)

    # After the window has closed, it is still "not delivered", not "not answered in time".
    clock.now = oslo(2026, 11, 27, 12)
    run_once(db, None, clock=clock)
    log_in(client, world.therapist_username, PASSWORD)
    assert _invitation_status(_appointments(client, world)) == f"<strong>{shown}</strong>"


def test_a_questionnaire_sent_after_all_is_not_called_undelivered(
    app: Flask, client: FlaskClient
) -> None:
    """A failed message on one invitation does not mark the patient's other invitations."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    failed, _token = make_invitation(db, world, due_at=NOON, state=InvitationState.SCHEDULED)
    make_invitation(db, world, "gad7", due_at=NOON)
    add_failed_message(db, world, invitation_id=failed.id)
    app.extensions["fit_clock"] = Clock(NOON)
    log_in(client, world.therapist_username, PASSWORD)
    page = _appointments(client, world)
    statuses = re.findall(r'<td data-label="Status">(.*?)</td>', page)
    assert statuses.count("<strong>Not delivered: the message service did not work</strong>") == 1
    assert "Sent" in statuses
