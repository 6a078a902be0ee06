"""A therapist is offered only the channels the service can send by.

A clinic that set up e-mail but no SMS gateway (or the other way round) used to get both on
the registration and contact forms, SMS first and chosen: the patient was registered, the
first questionnaire failed with "the message service did not work", and the therapist was
told to tell the administrator, who had no setting to change on any page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Patient as PatientRow
from fit_platform.domain.codes import Channel, Role
from tests.conftest import make_test_app
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation


@pytest.fixture
def email_only_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_test_app(database_url, tmp_path / "instance", smtp_host="127.0.0.1")
    yield application
    application.extensions["fit_db"].dispose()


def _therapist(app: Flask) -> tuple[FlaskClient, int]:
    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    client = app.test_client()
    log_in(client, therapist.username, PASSWORD)
    return client, unit.id


def _register(client: FlaskClient, unit_id: int, channel: str):  # type: ignore[no-untyped-def]
    page = client.get("/clinician/register").get_data(as_text=True)
    return client.post(
        "/clinician/register",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "Per Pasient",
            "phone": "912 34 567",
            "email": "per@example.org",
            "language": "nb",
            "channel": channel,
            "unit": str(unit_id),
            "started_on": "2026-12-03",
        },
    )


def test_with_only_email_set_up_registration_offers_email_and_refuses_sms(
    email_only_app: Flask,
) -> None:
    client, unit_id = _therapist(email_only_app)
    form = client.get("/clinician/register?lang=en").get_data(as_text=True)
    assert 'value="email"' in form and 'value="sms"' not in form
    # The address is where the links go: not optional; the mobile number is.
    assert "E-mail (optional)" not in form and "Mobile number (optional)" in form

    refused = _register(client, unit_id, "sms")
    assert refused.status_code == 422
    assert "cannot send text messages" in refused.get_data(as_text=True)
    assert client.get("/clinician/register?lang=nb").status_code == 200
    in_bokmaal = _register(client, unit_id, "sms").get_data(as_text=True)
    assert "kan ikke sende tekstmeldinger" in in_bokmaal

    assert _register(client, unit_id, "email").status_code == 302
    db: Database = email_only_app.extensions["fit_db"]
    with db.session() as session:
        assert session.scalars(select(PatientRow.preferred_channel)).one() is Channel.EMAIL


def test_the_contact_page_offers_only_what_the_service_can_send(email_only_app: Flask) -> None:
    client, unit_id = _therapist(email_only_app)
    assert _register(client, unit_id, "email").status_code == 302
    db: Database = email_only_app.extensions["fit_db"]
    with db.session() as session:
        patient_id = session.scalars(select(PatientRow.id)).one()
    del patient_id
    episode_page = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert "/clinician/episodes/1" in episode_page
    contact = client.get("/clinician/episodes/1/contact?lang=en").get_data(as_text=True)
    assert 'value="email"' in contact and 'value="sms"' not in contact


def test_without_any_channel_set_up_both_stay_offered(client: FlaskClient, app: Flask) -> None:
    # Nothing can be sent anyway (the start-up log says so); the form keeps its old choices.
    therapist_client, _unit = _therapist(app)
    form = therapist_client.get("/clinician/register?lang=en").get_data(as_text=True)
    assert 'value="sms"' in form and 'value="email"' in form


def test_a_patient_is_not_offered_a_switch_to_a_channel_the_service_cannot_send_by(
    email_only_app: Flask,
) -> None:
    db: Database = email_only_app.extensions["fit_db"]
    world = make_world(db, channel=Channel.EMAIL)
    _invitation_id, token = open_invitation(db, world)
    client = email_only_app.test_client()
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    choices = client.get("/p/choices?lang=en").get_data(as_text=True)
    assert "Pause questionnaires" in choices
    assert "Change how we contact you" not in choices
    assert client.get("/p/choices/channel").status_code == 302
    switched = patient.post("/p/choices/channel", {"channel-channel": "sms"})
    assert switched.status_code == 302  # back to the choices, nothing recorded
    with db.session() as session:
        assert session.get_one(PatientRow, world.patient_id).preferred_channel is Channel.EMAIL


def test_with_both_channels_set_up_each_address_says_which_choice_needs_it(
    database_url: str, tmp_path: Path
) -> None:
    """The label "E-mail (optional)" beside "Send links by: E-mail" was then refused with "An e-mail
    address is needed": with both channels the labels name the channel each is needed for."""
    both = make_test_app(
        database_url,
        tmp_path / "both",
        smtp_host="127.0.0.1",
        sms_url="http://127.0.0.1:9/send",
        sms_token="t",
    )
    try:
        client, unit_id = _therapist(both)
        form = client.get("/clinician/register?lang=en").get_data(as_text=True)
        assert "Mobile number (needed for SMS)" in form
        assert "E-mail (needed for e-mail)" in form
        assert "E-mail (optional)" not in form
        nn = client.get("/clinician/register?lang=nn").get_data(as_text=True)
        assert "Mobilnummer (trengst for SMS)" in nn
        assert _register(client, unit_id, "email").status_code == 302
        contact = client.get("/clinician/episodes/1/contact?lang=en").get_data(as_text=True)
        assert "E-mail (needed for e-mail)" in contact
    finally:
        both.extensions["fit_db"].dispose()
