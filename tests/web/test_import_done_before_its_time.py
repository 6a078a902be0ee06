"""A record system's file that says a session next week was held ("fulfilled") or missed is
wrong about it, and the appointments page refuses the same change ("A session that has not
begun cannot be marked done or did not attend"). The import lists such a row as a row error
and leaves the appointment as it was: saved, it sat among the planned sessions as "Done"
while its status menu said "Planned". Seen walking the demo with a file of Anna's sessions.
"""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Patient
from fit_platform.domain.codes import AppointmentStatus
from tests.support.appointment_upload import upload_appointments
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import log_in
from tests.support.patient import now
from tests.support.scheduling import OSLO

SAID = {
    "en": "Row 2, column status: the session has not begun, so it cannot be done or did not "
    "attend (leave the status empty or write planned, and change it after the session)",
    "nb": "Rad 2, kolonne status: timen har ikke begynt ennå, så den kan ikke være gjennomført "
    "eller «møtte ikke» (la statusen stå tom eller skriv planned, og endre den etter timen)",
    "nn": "Rad 2, kolonne status: timen har ikkje byrja enno, så han kan ikkje vere gjennomført "
    "eller «møtte ikkje» (la statusen stå tom eller skriv planned, og endre han etter timen)",
}


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _file(db: Database, world: World, *rows: tuple[str, int, str]) -> str:
    with db.session() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None
        ref = patient.external_id
    today = now().astimezone(OSLO).date()
    lines = [
        f"{key};{ref};{(today + dt.timedelta(days=days)).isoformat()}T10:00;;{status}"
        for key, days, status in rows
    ]
    return "appointment_id;patient_id;start;end;status\n" + "\n".join(lines) + "\n"


def _saved(db: Database, world: World) -> dict[str | None, AppointmentStatus]:
    with db.session() as session:
        return {
            row.external_ref: row.status
            for row in session.scalars(
                select(Appointment).where(Appointment.episode_id == world.episode_id)
            )
        }


@pytest.mark.parametrize("language", ["en", "nb", "nn"])
def test_a_session_held_before_its_time_is_a_row_error_and_changes_nothing(
    client: FlaskClient, language: str
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    status, html = upload_appointments(
        client,
        world.unit_id,
        _file(db, world, ("K-1", -7, "fulfilled"), ("K-2", 7, "fulfilled"), ("K-3", 8, "")),
        lang=language,
    )
    assert status == 200
    assert SAID[language] in unescape(html)
    assert _saved(db, world) == {"K-1": AppointmentStatus.DONE, "K-3": AppointmentStatus.PLANNED}

    # A later file that calls the planned session missed before its time leaves it planned.
    status, html = upload_appointments(
        client, world.unit_id, _file(db, world, ("K-3", 8, "noshow")), lang="en"
    )
    assert "Row 1, column status: the session has not begun" in unescape(html)
    assert _saved(db, world)["K-3"] is AppointmentStatus.PLANNED
    page = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    assert page.get_data(as_text=True).count(">Done</td>") == 1


def test_a_record_id_longer_than_a_patients_is_refused_not_cut_to_hers(
    client: FlaskClient,
) -> None:
    """Record ids were cut to 64 characters: a 65-character id whose first 64 were a
    patient's record id booked the row into her episode."""
    db = _db(client)
    world = make_world(db)
    with db.transaction() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None
        patient.external_id = "E" * 64
    log_in(client, world.therapist_username, PASSWORD)
    day = (now().astimezone(OSLO).date() + dt.timedelta(days=7)).isoformat()
    status, html = upload_appointments(
        client,
        world.unit_id,
        f"appointment_id;patient_id;start\nK-1;{'E' * 64}X;{day}T10:00\n",
        lang="nb",
    )
    assert status == 200
    assert (
        "Rad 1, kolonne patient_id: id-en er lengre enn 64 tegn, så den er ingen id denne "
        "plattformen tar vare på (ingenting ble endret på grunn av den)"
    ) in unescape(html)
    assert _saved(db, world) == {}


def test_an_imported_appointment_at_night_is_saved_and_the_page_asks_to_check_it(
    client: FlaskClient,
) -> None:
    """Typed in, a time at night gets "It is at 03:00, at night …"; imported, it came in
    without a word, and its questionnaire was planned from 03:00."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    day = now().astimezone(OSLO).date() + dt.timedelta(days=7)
    with db.session() as session:
        ref = session.get_one(Patient, world.patient_id).external_id
    rows = (
        f"K-1;{ref};{day.isoformat()}T03:00;;\n"
        f"K-2;{ref};{day.isoformat()}T13:00;;\n"
        f"K-3;{ref};{day.isoformat()}T22:30;;cancelled\n"
    )
    status, html = upload_appointments(
        client, world.unit_id, "appointment_id;patient_id;start;end;status\n" + rows
    )
    assert status == 200
    text = unescape(html)
    assert "Appointments at night (21:00–07:00)" in text
    assert f"Row 1: {day.strftime('%d/%m/%Y')} at 03:00" in text
    assert "Row 2:" not in text and "Row 3:" not in text  # by day; cancelled
    assert _saved(db, world) == {
        "K-1": AppointmentStatus.PLANNED,
        "K-2": AppointmentStatus.PLANNED,
        "K-3": AppointmentStatus.CANCELLED,
    }
    # The same file again changes nothing and asks nothing.
    status, html = upload_appointments(
        client, world.unit_id, "appointment_id;patient_id;start;end;status\n" + rows
    )
    assert "Appointments at night" not in html
