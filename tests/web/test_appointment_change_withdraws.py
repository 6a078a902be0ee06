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

from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.html import csrf_token
from tests.support.sent_for_tomorrow import book_and_send_for_tomorrow

__all__ = ["sms_endpoint"]

WITHDRAWN = "Cancelled: the appointment was moved or cancelled"
PATIENT_TOLD = "It was cancelled because your appointment was moved or cancelled."


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _sent_link(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> tuple[str, str]:
    return book_and_send_for_tomorrow(client, sms_endpoint, sms)


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
