"""Moving or cancelling an appointment withdraws the questionnaire sent for it in the same
request: the therapist's page right after lists it as cancelled, and the patient's old link
says why at once, with no scheduler run in between. Through the seam: the therapist books, the
scheduler queues, the dispatcher sends to the real loopback SMS endpoint, the therapist changes
the appointment, the patient opens the link from the SMS."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Channel
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo

__all__ = ["sms_endpoint"]

# The therapist's page clock: the morning before the session, after the SMS went out.
PAGE_NOW = oslo(2026, 12, 2, 9, 30)
WITHDRAWN = "Cancelled: the appointment was moved or cancelled"
PATIENT_TOLD = "It was cancelled because your appointment was moved or cancelled."


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _sent_link(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> tuple[str, str]:
    """The therapist books a session for tomorrow 09:00; the scheduler queues its PHQ-9 and
    the dispatcher sends it. Returns the appointments page's URL and the link's token."""
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = lambda: PAGE_NOW
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    page = client.get(url).get_data(as_text=True)
    booked = client.post(
        url, data={"csrf_token": csrf_token(page), "day": "2026-12-03", "time": "09:00"}
    )
    assert booked.status_code == 302
    clock = Clock(oslo(2026, 12, 2, 9, 5))
    dispatcher = Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)
    run_once(db, dispatcher, clock=clock)
    [message] = sms_endpoint.accepted
    token = re.search(r"https://x/p/(\S+)", message["text"])
    assert token is not None
    return url, token.group(1).rstrip(".")


def _appointment_id(page: str) -> str:
    found = re.search(r'action="/clinician/appointments/(\d+)/move"', page)
    assert found is not None
    return found.group(1)


def _patient_sees(client: FlaskClient, token: str) -> str:
    """The patient's own browser opens the link from the SMS."""
    patient = client.application.test_client()
    return patient.get(f"/p/{token}?lang=en").get_data(as_text=True)


def test_moving_the_appointment_withdraws_its_questionnaire_at_once(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    url, token = _sent_link(client, sms_endpoint, sms)
    assert "Start" in _patient_sees(client, token)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert WITHDRAWN not in page
    moved = client.post(
        f"/clinician/appointments/{_appointment_id(page)}/move?lang=en",
        data={"csrf_token": csrf_token(page), "move-day": "2026-12-05", "move-time": "09:00"},
    )
    assert moved.status_code == 302

    after = client.get(url + "?lang=en").get_data(as_text=True)
    assert "The appointment is moved." in after
    assert "The questionnaire for the old time is withdrawn" in after
    assert "One for the new time is sent when the questionnaire schedule says." in after
    assert WITHDRAWN in after
    assert PATIENT_TOLD in _patient_sees(client, token)


def test_cancelling_the_appointment_withdraws_its_questionnaire_at_once(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    url, token = _sent_link(client, sms_endpoint, sms)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    cancelled = client.post(
        f"/clinician/appointments/{_appointment_id(page)}/status?lang=en",
        data={"csrf_token": csrf_token(page), "status": "cancelled"},
    )
    assert cancelled.status_code == 302

    after = client.get(url + "?lang=en").get_data(as_text=True)
    assert "The appointment is updated." in after
    assert "The questionnaire for this appointment is withdrawn" in after
    assert WITHDRAWN in after
    assert PATIENT_TOLD in _patient_sees(client, token)


def test_marking_the_session_done_keeps_its_questionnaire_open(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    url, token = _sent_link(client, sms_endpoint, sms)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    client.post(
        f"/clinician/appointments/{_appointment_id(page)}/status?lang=en",
        data={"csrf_token": csrf_token(page), "status": "done"},
    )
    after = client.get(url + "?lang=en").get_data(as_text=True)
    assert "withdrawn" not in after and WITHDRAWN not in after
    assert PATIENT_TOLD not in _patient_sees(client, token)
