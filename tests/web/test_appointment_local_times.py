"""Appointment times that do not exist in Oslo (the spring DST gap, 29.03.2026 02:00-03:00) are
refused with a message naming the gap, on the add form, the move form and in a file import,
instead of being moved an hour on without a word. An ambiguous autumn time (25.10.2026 02:30) is
read as its first occurrence, summer time."""

from __future__ import annotations

import datetime as dt
import io
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Patient
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import oslo

NOW = dt.datetime(2026, 2, 2, 9, 30, tzinfo=dt.UTC)
GAP = "29/03/2026 at 02:30 does not exist here: that night the clocks jump from 02:00 to 03:00"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _world(client: FlaskClient) -> tuple[World, str]:
    client.application.extensions["fit_clock"] = lambda: NOW
    world = make_world(_db(client))
    log_in(client, world.therapist_username, PASSWORD)
    return world, f"/clinician/episodes/{world.episode_id}/appointments"


def _starts(db: Database, world: World) -> list[dt.datetime]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Appointment.starts_at).where(Appointment.episode_id == world.episode_id)
            )
        )


def _add(client: FlaskClient, url: str, day: str, time: str, lang: str = "en") -> tuple[int, str]:
    page = client.get(f"{url}?lang={lang}").get_data(as_text=True)
    response = client.post(
        f"{url}?lang={lang}",
        data={"csrf_token": csrf_token(page), "day": day, "time": time},
        follow_redirects=True,
    )
    return response.status_code, unescape(response.get_data(as_text=True))


def test_a_time_in_the_spring_gap_is_refused_on_the_add_form_naming_the_gap(
    client: FlaskClient,
) -> None:
    world, url = _world(client)
    status, html = _add(client, url, "2026-03-29", "02:30")
    assert status == 422
    assert GAP in html
    assert "The appointment is added" not in html
    assert _starts(_db(client), world) == []
    status, html = _add(client, url, "2026-03-29", "02:30", lang="nb")
    assert "29.03.2026 kl. 02:30 finnes ikke her" in html, html[-3000:]
    assert "fra 02:00 til 03:00" in html


def test_an_ambiguous_autumn_time_is_read_as_its_first_occurrence_in_summer_time(
    client: FlaskClient,
) -> None:
    world, url = _world(client)
    status, html = _add(client, url, "2026-10-25", "02:30")
    assert status == 200 and "The appointment is added" in html
    assert _starts(_db(client), world) == [dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)]


def test_a_move_into_the_spring_gap_is_refused_and_the_appointment_stays(
    client: FlaskClient,
) -> None:
    world, url = _world(client)
    db = _db(client)
    with db.transaction() as session:
        appointment = Appointment(episode_id=world.episode_id, starts_at=oslo(2026, 3, 30, 9))
        session.add(appointment)
        session.flush()
        appointment_id = appointment.id
    page = client.get(url + "?lang=en").get_data(as_text=True)
    moved = client.post(
        f"/clinician/appointments/{appointment_id}/move?lang=en",
        data={"csrf_token": csrf_token(page), "move-day": "2026-03-29", "move-time": "02:30"},
    )
    assert moved.status_code == 422
    assert GAP in unescape(moved.get_data(as_text=True))
    assert _starts(db, world) == [oslo(2026, 3, 30, 9)]


def test_an_imported_row_in_the_spring_gap_is_listed_as_a_time_that_does_not_exist(
    client: FlaskClient,
) -> None:
    world, _url = _world(client)
    db = _db(client)
    with db.session() as session:
        ref = session.get_one(Patient, world.patient_id).external_id
    csv = (
        "appointment_id;patient_id;start;end;status\n"
        f"K-1;{ref};2026-03-29T02:30;;booked\n"
        f"K-2;{ref};2026-03-29T03:30;;booked\n"
    )
    page = client.get("/clinician/appointments/import?lang=en").get_data(as_text=True)
    response = client.post(
        "/clinician/appointments/import?lang=en",
        data={
            "csrf_token": csrf_token(page),
            "unit": str(world.unit_id),
            "file": (io.BytesIO(csv.encode()), "a.csv"),
        },
        content_type="multipart/form-data",
    )
    html = unescape(response.get_data(as_text=True))
    assert "the local time does not exist" in html
    assert _starts(db, world) == [dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)]


def test_an_appointment_at_night_is_saved_with_a_line_asking_to_check_the_time(
    client: FlaskClient,
) -> None:
    """03:00 for 13:00 was saved without a word, and the session's questionnaires were planned
    from it. A time from 21:00 to 07:00 is still saved (a night session can be real), with a
    line that asks the therapist to check it; a daytime one gets no such line."""
    world, url = _world(client)
    page = client.get(url).get_data(as_text=True)
    night = client.post(
        url + "?lang=en",
        data={"csrf_token": csrf_token(page), "day": "2026-02-10", "time": "03:00"},
        follow_redirects=True,
    )
    html = unescape(night.get_data(as_text=True))
    assert "The appointment is added." in html
    assert "It is at 03:00, at night. If that is a typing mistake, move it" in html
    assert _starts(_db(client), world) == [oslo(2026, 2, 10, 3)]

    day = client.post(
        url + "?lang=en",
        data={"csrf_token": csrf_token(page), "day": "2026-02-11", "time": "13:00"},
        follow_redirects=True,
    )
    assert "at night" not in day.get_data(as_text=True)
    with _db(client).session() as session:
        first = session.scalars(select(Appointment.id).order_by(Appointment.starts_at)).first()
    moved = client.post(
        f"/clinician/appointments/{first}/move?lang=nb",
        data={"csrf_token": csrf_token(page), "move-day": "2026-02-12", "move-time": "22:15"},
        follow_redirects=True,
    )
    assert "Den er klokken 22:15, om natten." in unescape(moved.get_data(as_text=True))
