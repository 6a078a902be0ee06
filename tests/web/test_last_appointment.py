"""The end-of-treatment questionnaire, through the seam: a plan with "Before the last
appointment", the therapist's appointments page, the scheduler at a fixed Oslo time and the
real loopback SMS endpoint.

A walk found that the rule never sent anything: the last session was the last appointment
on or before the episode's end date, which only the administrator's close sets, after which
nothing is planned. The schedule page listed nothing and said nothing, while the template's
preview promised the questionnaire. The therapist now marks the last appointment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Invitation
from fit_platform.domain.codes import Channel, InvitationState, Role, ScheduleTrigger
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import Clock, RuleSpec, give_plan, oslo

__all__ = ["sms_endpoint"]

LAST = RuleSpec("gad7", ScheduleTrigger.LAST_SESSION, offset_hours=24)
NOT_MARKED = "Not sent yet: no appointment is marked as the last one."


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _tick(db: Database, sms: HttpSmsChannel, at: object) -> None:
    clock = Clock(at)  # type: ignore[arg-type]
    dispatcher = Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)
    run_once(db, dispatcher, clock=clock)


def _post(client: FlaskClient, page_url: str, url: str, **data: str) -> str:
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_marked_last_appointment_gets_its_questionnaire_and_the_mark_can_move(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = lambda: oslo(2026, 12, 3, 9)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    world = make_world(db, unit=unit, therapist=therapist)
    give_plan(db, world.episode_id, LAST)
    log_in(client, therapist.username, PASSWORD)
    appointments = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    schedule = f"/clinician/episodes/{world.episode_id}/schedule?lang=en"
    for day in ("2026-12-10", "2026-12-17"):
        _post(client, appointments, appointments, day=day, time="10:00", form_nonce=day)
    with db.session() as session:
        first, last = session.scalars(select(Appointment.id).order_by(Appointment.starts_at))

    page = client.get(schedule).get_data(as_text=True)
    assert NOT_MARKED in page
    assert "before the last appointment" not in page.split("upcoming-heading", 1)[1]

    page = _post(client, appointments, f"/clinician/appointments/{last}/last?lang=en", last="1")
    assert "This is now the last appointment" in page
    assert re.search(
        r"17/12/2026, 10:00</td>\s*<td[^>]*>Planned · <strong[^>]*>last appointment<", page
    )
    assert page.count("last appointment</strong>") == 1
    page = client.get(schedule).get_data(as_text=True)
    assert NOT_MARKED not in page
    assert "GAD-7 · 16 Dec 2026, 10:00 · before the last appointment" in page

    # The scheduler sends it the day before the marked session, to the patient's phone.
    _tick(db, sms, oslo(2026, 12, 16, 9, 59))
    assert sms_endpoint.accepted == []
    _tick(db, sms, oslo(2026, 12, 16, 10))
    assert len(sms_endpoint.accepted) == 1
    with db.session() as session:
        [invitation] = session.scalars(select(Invitation))
        assert (invitation.appointment_id, invitation.state) == (last, InvitationState.SENT)

    # The course is shortened: the mark moves to the earlier session, and the questionnaire
    # sent for the later one is withdrawn at once (its link says why).
    page = _post(client, appointments, f"/clinician/appointments/{first}/last?lang=en", last="1")
    assert "The questionnaire for this appointment is withdrawn" in page
    # The later session is still planned, and the page says so.
    assert "1 later appointment is still planned: cancel it, or mark the last one" in page
    with db.session() as session:
        assert session.get_one(Invitation, invitation.id).state is InvitationState.CANCELLED
        marked = session.scalars(select(Appointment.id).where(Appointment.is_last)).all()
    assert marked == [first]
    page = _post(client, appointments, f"/clinician/appointments/{first}/last?lang=nn", last="0")
    assert "Timen er ikkje lenger merkt som den siste." in page
    assert NOT_MARKED in client.get(schedule).get_data(as_text=True)

    # A cancelled session is no course's last: cancelling the marked one takes the mark off,
    # and the schedule says again that none is marked (a review found "Cancelled · last
    # appointment" beside "no appointment is marked").
    _post(client, appointments, f"/clinician/appointments/{last}/last?lang=en", last="1")
    page = _post(
        client,
        appointments,
        f"/clinician/appointments/{last}/status?lang=en",
        status="cancelled",
    )
    assert "last appointment</strong>" not in page
    assert NOT_MARKED in client.get(schedule).get_data(as_text=True)
