"""An appointment typed in for a time already past is a record of a session held (catching up),
not a plan: it is saved as done and the page says so, and the scheduler sends no questionnaire
for it, neither before (its time is gone) nor after (eight months on, the window is long
closed). A past appointment still marked planned (imported, or stored before this rule) gets
none either."""

from __future__ import annotations

import datetime as dt
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Invitation
from fit_platform.domain.codes import AppointmentStatus, ScheduleTrigger
from fit_platform.services.enqueue import enqueue_due
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import DAY_BEFORE, OSLO, RuleSpec, give_plan, oslo

PAGE_NOW = oslo(2026, 12, 4, 9, 30)
AFTER = RuleSpec("phq9", ScheduleTrigger.AFTER_APPOINTMENT, offset_hours=1)
ADDED_AS_DONE = "The appointment is added as done: its time has passed"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _add(client: FlaskClient, world: World, day: str) -> str:
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    response = client.post(
        url + "?lang=en",
        data={"csrf_token": csrf_token(page), "day": day, "time": "10:00"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def _statuses(db: Database, world: World) -> list[AppointmentStatus]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Appointment.status)
                .where(Appointment.episode_id == world.episode_id)
                .order_by(Appointment.starts_at)
            )
        )


def _invitations(db: Database, world: World) -> int:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).where(Invitation.episode_id == world.episode_id))
            or 0
        )


def test_an_appointment_eight_months_ago_is_saved_as_done_and_gets_no_questionnaire(
    client: FlaskClient,
) -> None:
    db = _db(client)
    client.application.extensions["fit_clock"] = lambda: PAGE_NOW
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE, AFTER)
    log_in(client, world.therapist_username, PASSWORD)

    page = _add(client, world, "2026-04-04")
    assert ADDED_AS_DONE in page
    assert _statuses(db, world) == [AppointmentStatus.DONE]

    page = _add(client, world, "2026-12-10")
    assert "The appointment is added." in page and ADDED_AS_DONE not in page
    assert _statuses(db, world) == [AppointmentStatus.DONE, AppointmentStatus.PLANNED]

    enqueue_due(db, PAGE_NOW, zone=OSLO)
    assert _invitations(db, world) == 0  # the coming one's questionnaire is not due yet


def test_the_scheduler_sends_nothing_for_a_past_appointment_still_marked_planned(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE, AFTER)
    with db.transaction() as session:
        session.add(Appointment(episode_id=world.episode_id, starts_at=oslo(2026, 4, 4, 10)))
    for hours in (0, 1, 24 * 7):
        enqueue_due(db, PAGE_NOW + dt.timedelta(hours=hours), zone=OSLO)
    assert _statuses(db, world) == [AppointmentStatus.PLANNED]
    assert _invitations(db, world) == 0
