"""A time typed as Norwegians write it is read on every form, as the appointment import reads
it. The appointment, move and group-session forms took only "09:30" (what a time picker
sends), so a therapist whose browser shows a plain text box and who typed "kl. 9.30" or "9.30"
was told "Enter a valid time.", while the same time in an import file was taken."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db.models import Appointment
from fit_platform.web.date_fields import read_clock_time
from tests.support.appointment_moves import move_first_appointment
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import oslo

NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("09:30", dt.time(9, 30)),
        ("9:30", dt.time(9, 30)),
        ("9.30", dt.time(9, 30)),
        ("kl. 9.30", dt.time(9, 30)),
        ("Kl 14:05", dt.time(14, 5)),
        (" 09:30:00 ", dt.time(9, 30)),  # a picker with a step sends seconds
        ("9", dt.time(9, 0)),
        ("0:00", dt.time(0, 0)),
        ("23.59", dt.time(23, 59)),
    ],
)
def test_a_time_is_read_as_it_is_written(typed: str, read: dt.time) -> None:
    assert read_clock_time(typed) == read


@pytest.mark.parametrize("typed", ["", "24:00", "9:60", "9:5", "9,30", "halv ti", "930", "9:30pm"])
def test_what_is_not_a_time_is_not_read_as_one(typed: str) -> None:
    assert read_clock_time(typed) is None


def _starts(client: FlaskClient) -> list[dt.datetime]:
    with client.application.extensions["fit_db"].session() as session:
        return list(session.scalars(select(Appointment.starts_at).order_by(Appointment.id)))


def test_a_therapist_books_and_moves_a_session_with_a_time_typed_the_norwegian_way(
    client: FlaskClient,
) -> None:
    client.application.extensions["fit_clock"] = lambda: NOW
    world = make_world(client.application.extensions["fit_db"])
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    page = client.get(url + "?lang=nb").get_data(as_text=True)
    booked = client.post(
        url, data={"csrf_token": csrf_token(page), "day": "10.12.2026", "time": "kl. 9.30"}
    )
    assert booked.status_code == 302
    assert _starts(client) == [oslo(2026, 12, 10, 9, 30)]

    moved = move_first_appointment(client, url, "2026-12-11", "14.15", lang="nb")
    assert moved.status_code == 302
    assert _starts(client) == [oslo(2026, 12, 11, 14, 15)]

    # Not a time: said in the page's language, what was typed kept, nothing changed.
    page = client.get(url + "?lang=nb").get_data(as_text=True)
    refused = client.post(
        url + "?lang=nb",
        data={"csrf_token": csrf_token(page), "day": "12.12.2026", "time": "25.00"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Skriv inn et gyldig klokkeslett." in html
    assert 'value="25.00"' in html
    assert _starts(client) == [oslo(2026, 12, 11, 14, 15)]
