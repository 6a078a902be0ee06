"""An appointment moved or cancelled by a file import withdraws the questionnaire sent for it
in the import's own transaction, as the web forms do: the patient's link from the SMS says why
at once, with no scheduler run in between. Through the seam: the therapist imports the booking,
the scheduler queues, the dispatcher sends to the real loopback SMS endpoint, the therapist
imports the patient record system's next file, the patient opens the link."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Patient
from fit_platform.domain.codes import Channel
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.appointment_upload import upload_appointments
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import log_in
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo

__all__ = ["sms_endpoint"]

# The first file is imported early in the morning before the session, the SMS goes out at
# 09:05 and the next file arrives at 09:30.
FIRST_IMPORT = oslo(2026, 12, 2, 8, 0)
SECOND_IMPORT = oslo(2026, 12, 2, 9, 30)
PATIENT_TOLD = "It was cancelled because your appointment was moved or cancelled."
HEADER = "appointment_id;patient_id;start;end;status\n"


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _upload(client: FlaskClient, world: World, rows: str) -> str:
    status, html = upload_appointments(client, world.unit_id, HEADER + rows)
    assert status == 200
    return html


def _sent_link(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> tuple[World, str, str]:
    """The import books a session for tomorrow 09:00; the scheduler queues its PHQ-9 and the
    dispatcher sends it. Returns the world, the patient's record id and the link's token."""
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = lambda: FIRST_IMPORT
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    with db.session() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None and patient.external_id
        ref = patient.external_id
    log_in(client, world.therapist_username, PASSWORD)
    assert "New appointments: 1" in _upload(client, world, f"K-1;{ref};2026-12-03T09:00;;\n")
    clock = Clock(oslo(2026, 12, 2, 9, 5))
    dispatcher = Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)
    run_once(db, dispatcher, clock=clock)
    [message] = sms_endpoint.accepted
    token = re.search(r"https://x/p/(\S+)", message["text"])
    assert token is not None
    client.application.extensions["fit_clock"] = lambda: SECOND_IMPORT
    log_in(client, world.therapist_username, PASSWORD)  # the morning's session has timed out
    return world, ref, token.group(1).rstrip(".")


def _patient_sees(client: FlaskClient, token: str) -> str:
    """The patient's own browser opens the link from the SMS."""
    patient = client.application.test_client()
    return patient.get(f"/p/{token}?lang=en").get_data(as_text=True)


def test_an_import_that_moves_the_appointment_withdraws_its_questionnaire_at_once(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    world, ref, token = _sent_link(client, sms_endpoint, sms)
    assert "Start" in _patient_sees(client, token)

    result = _upload(client, world, f"K-1;{ref};2026-12-05T09:00;;\n")

    assert "Updated: 1" in result
    assert "Questionnaires withdrawn because their appointment was moved or cancelled: 1" in result
    assert PATIENT_TOLD in _patient_sees(client, token)


def test_an_import_that_cancels_the_appointment_withdraws_its_questionnaire_at_once(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    world, ref, token = _sent_link(client, sms_endpoint, sms)

    result = _upload(client, world, f"K-1;{ref};2026-12-03T09:00;;cancelled\n")

    assert "Updated: 1" in result
    assert PATIENT_TOLD in _patient_sees(client, token)


def test_an_import_that_marks_the_session_done_before_its_time_keeps_its_questionnaire_open(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """Tomorrow's session marked done today is the record system's error: a row error that
    changes nothing, so the questionnaire for it stays open
    (`tests/web/test_import_done_before_its_time.py`)."""
    world, ref, token = _sent_link(client, sms_endpoint, sms)

    result = _upload(client, world, f"K-1;{ref};2026-12-03T09:00;;done\n")

    assert "Updated: 0" in result and "Row 1, column status: the session has not begun" in result
    assert "withdrawn" not in result
    assert PATIENT_TOLD not in _patient_sees(client, token)


def test_an_import_that_moves_the_session_a_little_keeps_its_questionnaire_open(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """At 09:30 the record system moves tomorrow's 09:00 to 09:15: the questionnaire for 09:15
    would be due already (24 hours before), so the one the patient has stays open on the same
    link (`domain/moved_appointments.py`), and the import says so. (Moved to 10:00 it would
    not be due until 10:00 today: withdrawn, and sent again then.)"""
    world, ref, token = _sent_link(client, sms_endpoint, sms)

    result = _upload(client, world, f"K-1;{ref};2026-12-03T09:15;;\n")

    assert "Updated: 1" in result
    assert "withdrawn" not in result
    assert (
        "Questionnaires the patients already have that stay open for their moved appointment,"
        " on the same link: 1"
    ) in result
    landing = _patient_sees(client, token)
    assert PATIENT_TOLD not in landing and "Start" in landing
