"""A session the therapist typed in, then found in the patient record system's file, is one
session: the import takes the typed-in appointment over (it gets the file's appointment id)
instead of adding a second one at the same time, which the patient would be asked about twice
and the appointments page would list twice. Typed in first is the usual order when a clinic
starts importing: the therapist booked the next sessions by hand the week before.
"""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Patient
from fit_platform.domain.codes import AppointmentStatus
from tests.support.appointment_upload import upload_appointments
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import now
from tests.support.scheduling import OSLO

MATCHED = "Typed-in appointments the file names at the same time (taken over, not added again): 1"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _day(days: int) -> dt.date:
    return now().astimezone(OSLO).date() + dt.timedelta(days=days)


def _type_in(client: FlaskClient, world: World, day: dt.date, time: str) -> None:
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={"csrf_token": csrf_token(page), "day": day.strftime("%d.%m.%Y"), "time": time}
    )
    assert response.status_code == 302


def _upload(client: FlaskClient, world: World, rows: str) -> str:
    with _db(client).session() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None
        ref = patient.external_id
    content = "appointment_id;patient_id;start;end;status\n" + rows.format(ref=ref)
    status, html = upload_appointments(client, world.unit_id, content)
    assert status == 200
    return html


def _appointments(db: Database, world: World) -> list[tuple[str | None, AppointmentStatus]]:
    with db.session() as session:
        return [
            (row.external_ref, row.status)
            for row in session.scalars(
                select(Appointment)
                .where(Appointment.episode_id == world.episode_id)
                .order_by(Appointment.starts_at, Appointment.id)
            )
        ]


def test_the_file_takes_over_the_session_typed_in_at_the_same_time(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    day, later = _day(7), _day(14)
    _type_in(client, world, day, "10:00")

    html = _upload(
        client,
        world,
        f"K-1;{{ref}};{day.isoformat()}T10:00;{day.isoformat()}T10:45;booked\n"
        f"K-2;{{ref}};{later.isoformat()}T10:00;;booked\n",
    )
    assert MATCHED in html
    assert "New appointments: 1" in html
    assert _appointments(db, world) == [
        ("K-1", AppointmentStatus.PLANNED),
        ("K-2", AppointmentStatus.PLANNED),
    ]
    page = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    assert page.get_data(as_text=True).count(">Planned</td>") == 2

    # The same file again: nothing to take over, nothing new.
    again = _upload(
        client,
        world,
        f"K-1;{{ref}};{day.isoformat()}T10:00;{day.isoformat()}T10:45;booked\n"
        f"K-2;{{ref}};{later.isoformat()}T10:00;;booked\n",
    )
    assert "Unchanged: 2" in again and "Typed-in appointments" not in again
    assert len(_appointments(db, world)) == 2


def test_a_file_that_cancels_the_typed_in_session_cancels_it(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    day = _day(5)
    _type_in(client, world, day, "09:15")

    html = _upload(client, world, f"K-9;{{ref}};{day.isoformat()}T09:15;;cancelled\n")
    assert MATCHED in html
    assert _appointments(db, world) == [("K-9", AppointmentStatus.CANCELLED)]


def test_a_cancelled_typed_in_session_or_another_time_is_not_taken_over(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    day = _day(6)
    _type_in(client, world, day, "10:00")
    with db.transaction() as session:
        session.scalars(select(Appointment)).one().status = AppointmentStatus.CANCELLED
    _type_in(client, world, day, "13:00")

    html = _upload(
        client,
        world,
        f"K-1;{{ref}};{day.isoformat()}T10:00;;booked\nK-2;{{ref}};{day.isoformat()}T14:00;;\n",
    )
    assert "Typed-in appointments" not in html
    assert "New appointments: 2" in html
    assert _appointments(db, world) == [
        (None, AppointmentStatus.CANCELLED),
        ("K-1", AppointmentStatus.PLANNED),
        (None, AppointmentStatus.PLANNED),
        ("K-2", AppointmentStatus.PLANNED),
    ]
