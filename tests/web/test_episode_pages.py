from __future__ import annotations

import datetime as dt
import io
import json

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Patient
from fit_platform.domain.codes import AppointmentStatus, Role
from tests.support.factories import (
    PASSWORD,
    World,
    make_invitation,
    make_staff,
    make_unit,
    make_unit_template,
    make_world,
)
from tests.support.html import csrf_token, log_in


def _world_of(db: Database, episode_id: int) -> World:
    from fit_platform.db.models import Episode

    with db.session() as session:
        episode = session.get(Episode, episode_id)
        assert episode is not None
        staff_id = episode.therapists[0].staff_id
        return World(episode.unit_id, staff_id, "", episode.patient_id, episode.id)


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def test_a_therapist_registers_a_patient_and_adds_an_appointment(client: FlaskClient) -> None:
    db = _db(client)
    # The page's clock before the appointment: one typed in for a time past is saved as done.
    client.application.extensions["fit_clock"] = lambda: dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)
    unit = make_unit(db)
    make_unit_template(db, unit.id)  # so the appointments are the next step
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, therapist.username, PASSWORD)
    page = client.get("/clinician/register").get_data(as_text=True)
    response = client.post(
        "/clinician/register",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "Kari Nordmann",
            "external_id": "EPR-1",
            "phone": "+47 912 34 567",
            "email": "",
            "language": "nn",
            "channel": "sms",
            "unit": str(unit.id),
            "started_on": "2026-11-25",
        },
    )
    assert response.status_code == 302
    appointments_url = response.headers["Location"]
    assert appointments_url.endswith("/appointments")
    page = client.get(appointments_url).get_data(as_text=True)
    assert "Kari Nordmann" in page
    assert "The patient is registered. Add the appointments next." in page
    response = client.post(
        appointments_url,
        data={
            "csrf_token": csrf_token(page),
            "day": "2026-12-01",
            "time": "10:00",
        },
    )
    assert response.status_code == 302
    with db.session() as session:
        appointment = session.scalars(select(Appointment)).one()
    # 10:00 in Oslo in winter is 09:00 UTC.
    assert appointment.starts_at.hour == 9
    make_invitation(db, _world_of(db, appointment.episode_id))
    listed = client.get(appointments_url + "?lang=en").get_data(as_text=True)
    assert '<td data-label="Status">Planned</td>' in listed
    # Codes are shown as translated words, never raw ("sent", not the enum value alone).
    assert "<td>Patient Health Questionnaire (PHQ-9)</td>" in listed
    assert '<td data-label="Status">Sent</td>' in listed
    assert f'action="/clinician/appointments/{appointment.id}/move"' in listed


def test_registration_errors_are_shown_on_the_field_and_nothing_is_saved(
    client: FlaskClient,
) -> None:
    db = _db(client)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, therapist.username, PASSWORD)
    page = client.get("/clinician/register?lang=en").get_data(as_text=True)
    response = client.post(
        "/clinician/register",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "<script>alert(1)</script>",
            "phone": "22 00 00 00",
            "language": "nb",
            "channel": "sms",
            "unit": str(unit.id),
            "started_on": "not a date",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a date like 31.12.2026." in html and 'href="#started_on"' in html
    assert "<script>alert(1)</script>" not in html
    with db.session() as session:
        assert session.scalars(select(Patient)).all() == []


def test_another_therapists_episode_is_a_404(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    stranger = make_staff(db, (Role.THERAPIST, world.unit_id))
    log_in(client, stranger.username, PASSWORD)
    assert client.get(f"/clinician/episodes/{world.episode_id}/appointments").status_code == 404


def test_a_service_developer_cannot_open_therapist_pages(client: FlaskClient) -> None:
    db = _db(client)
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    assert client.get("/clinician/register").status_code == 403
    assert client.get("/clinician/appointments/import").status_code == 403


def test_importing_a_fhir_bundle_twice_creates_the_appointments_once(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    with db.session() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None
        ref = patient.external_id
    bundle = json.dumps(
        {
            "resourceType": "Bundle",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Appointment",
                        "id": "d-1",
                        "status": "booked",
                        "start": "2026-12-01T10:00:00+01:00",
                        "participant": [{"actor": {"reference": f"Patient/{ref}"}}],
                    }
                }
            ],
        }
    ).encode()
    with db.session() as session:
        from fit_platform.db.models import Staff

        username = session.get(Staff, world.therapist_id).username  # type: ignore[union-attr]
    log_in(client, username, PASSWORD)
    for expected in ("New appointments: 1", "Unchanged: 1"):
        page = client.get("/clinician/appointments/import?lang=en").get_data(as_text=True)
        response = client.post(
            "/clinician/appointments/import",
            data={
                "csrf_token": csrf_token(page),
                "unit": str(world.unit_id),
                "file": (io.BytesIO(bundle), "appointments.json"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        assert expected in response.get_data(as_text=True)
    with db.session() as session:
        rows = session.scalars(select(Appointment)).all()
    assert [(row.external_ref, row.status) for row in rows] == [("d-1", AppointmentStatus.PLANNED)]
