"""The same session booked twice for one patient (two tabs, or the page loaded again before the
first was added) is refused with a clear message: both would be asked about, so the patient
would get the same questionnaire twice. Seen walking the demo: 07.12.2026 10:00 added twice,
both "Planned". A cancelled appointment at that time does not stand in the way."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment
from fit_platform.domain.codes import AppointmentStatus
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import now
from tests.support.scheduling import OSLO

TWICE = "There is an appointment at this time already (in the list below). Nothing was added."


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _add(client: FlaskClient, world: World, day: str) -> tuple[int, str]:
    """The add form as a therapist uses it: the page loaded, then posted (its own nonce)."""
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), "day": day, "time": "10:00"})
    return response.status_code, response.get_data(as_text=True)


def _statuses(db: Database, world: World) -> list[AppointmentStatus]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Appointment.status)
                .where(Appointment.episode_id == world.episode_id)
                .order_by(Appointment.id)
            )
        )


def test_the_same_time_added_twice_is_refused_and_a_cancelled_one_does_not_count(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    day = (now().astimezone(OSLO).date() + dt.timedelta(days=3)).strftime("%d.%m.%Y")

    assert _add(client, world, day)[0] == 302
    status, page = _add(client, world, day)
    assert status == 422
    assert TWICE in page
    assert _statuses(db, world) == [AppointmentStatus.PLANNED]

    with db.transaction() as session:
        session.scalars(select(Appointment)).one().status = AppointmentStatus.CANCELLED
    assert _add(client, world, day)[0] == 302
    assert _statuses(db, world) == [AppointmentStatus.CANCELLED, AppointmentStatus.PLANNED]
