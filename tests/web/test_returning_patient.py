"""A patient who comes back to the same unit after her treatment there ended gets a new
course of treatment, not a second identity.

A walk found the registration page refusing her record id ("already registered in this
unit") with nothing offering a new episode, the import pointing to "register the patient (or
start an episode)", neither of which could be done, and the one way round it (registering her
without the record id) losing what she had set up herself: her standing choice, her crisis
plan, her choice of e-mail. Followed here from the administrator's close, through the
therapist's registration page, to the new pre-session view and the import.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Episode, OutboxMessage, Patient
from fit_platform.domain.codes import Channel, EpisodeStatus, MessageKind, OutboxState
from fit_platform.domain.own_plan import ChoiceEventKind, ChoiceKind
from fit_platform.services import one_time_codes, own_plan
from tests.support.admin_close import close_as_admin
from tests.support.appointment_upload import upload_appointments
from tests.support.clinical import add_failed_message
from tests.support.factories import PASSWORD, World, make_invitation, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient as PatientBrowser
from tests.support.patient import now as patient_now
from tests.support.patient import open_invitation
from tests.support.scheduling import oslo

TODAY = oslo(2026, 12, 3, 10)


def _register(client: FlaskClient, world: World, record_id: str, **extra: str):  # type: ignore[no-untyped-def]
    page = client.get("/clinician/register?lang=en").get_data(as_text=True)
    return client.post(
        "/clinician/register?lang=en",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "Kari Nordmann",
            "external_id": record_id,
            "phone": "+47 900 11 222",
            "email": "",
            "language": "nb",
            "channel": "sms",
            "unit": str(world.unit_id),
            "started_on": "2026-12-03",
            **extra,
        },
    )


def _record_id(db: Database, world: World) -> str:
    with db.session() as session:
        record_id = session.get_one(Patient, world.patient_id).external_id
        assert record_id
        return record_id


def test_a_returning_patient_gets_a_new_episode_and_keeps_what_she_set_up(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    app.extensions["fit_clock"] = lambda: TODAY
    world = make_world(db, channel=Channel.EMAIL)
    record_id = _record_id(db, world)
    own_plan.change_choice(
        db,
        world.patient_id,
        TODAY - dt.timedelta(days=30),
        event=ChoiceEventKind.RECORDED,
        kind=ChoiceKind.OTHER,
        text="Ingen gruppebehandling",
    )
    _invitation_id, old_token = open_invitation(db, world)
    log_in(client, world.therapist_username, PASSWORD)

    # While her treatment here is open, the record id is refused as before.
    refused = _register(client, world, record_id)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "already in treatment in this unit" in page
    assert 'name="returning"' not in page

    close_as_admin(app, world)
    asked = _register(client, world, record_id)
    assert asked.status_code == 422
    page = asked.get_data(as_text=True)
    assert (
        "A patient with this record id was in treatment in this unit until 3 Dec 2026. To"
        " start a new course of treatment for that patient, tick the box below and register"
        " again."
    ) in page
    assert 'name="returning"' in page
    assert _register(client, world, record_id, returning="").status_code == 422  # not ticked

    started = _register(client, world, record_id, returning="y")
    assert started.status_code == 302
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 1
        episodes = session.execute(
            select(Episode.id, Episode.status).where(Episode.patient_id == world.patient_id)
        ).all()
        patient = session.get_one(Patient, world.patient_id)
        # Her own choice of channel and the number on file stay; the typed ones are not used.
        assert patient.preferred_channel is Channel.EMAIL
        assert patient.phone_e164 != "+4790011222"
    assert sorted(status for _id, status in episodes) == [
        EpisodeStatus.ACTIVE,
        EpisodeStatus.ENDED,
    ]
    [new_episode] = [id_ for id_, status in episodes if status is EpisodeStatus.ACTIVE]
    landed = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "A new course of treatment has started for the patient already registered here" in (
        landed
    )

    # The new pre-session view has her standing choice, and no signal of the old course.
    view = client.get(f"/clinician/episodes/{new_episode}?lang=en").get_data(as_text=True)
    assert "Ingen gruppebehandling" in view
    assert "No standing choices" not in view

    # The import finds the new course by her record id: nothing refused.
    csv = f"appointment_id;patient_id;start;end;status\nK-9;{record_id};2026-12-20T10:00;;\n"
    status, html = upload_appointments(client, world.unit_id, csv)
    assert status == 200 and "New appointments: 1" in html
    with db.session() as session:
        assert session.scalars(select(Appointment.episode_id)).all() == [new_episode]

    # Once more while the new course is open: refused again, no third episode.
    assert _register(client, world, record_id, returning="y").status_code == 422

    # Her link from the earlier course, used after the new one started (through the code
    # step): her own plan is read again, and the page says which link to use; it said
    # "What you write on these pages now is not read by anyone at the clinic" (a review).
    phone = PatientBrowser(app.test_client(), old_token)
    assert phone.post(f"/p/{old_token}", {"action": "progress"}).status_code == 302
    phone.post("/p/progress", {"action": "send"})
    with db.transaction() as session:
        code = one_time_codes.mint_code(session, world.patient_id, patient_now())
    assert phone.post("/p/progress", {"action": "verify", "verify-code": code}).status_code == 302
    choices = phone.client.get("/p/choices?lang=en").get_data(as_text=True)
    assert "A new course of treatment has started for you at the clinic." in choices
    assert "not read by anyone at the clinic" not in choices
    standing = phone.client.get("/p/my-standing-choices?lang=en")
    assert standing.status_code == 200
    assert "nobody at the clinic reads" not in standing.get_data(as_text=True)


def test_each_course_lists_its_own_messages_and_the_ones_made_while_it_was_open(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    """Messages are the patient's. A walk found the new course's appointments page listing
    the earlier course's questionnaire messages (a failed one among them, with its advice)
    under an empty list of questionnaires."""
    app.extensions["fit_clock"] = lambda: TODAY
    world = make_world(db)
    record_id = _record_id(db, world)
    old_invitation, _token = make_invitation(db, world, due_at=oslo(2026, 11, 20, 10))
    add_failed_message(db, world, at=oslo(2026, 11, 20, 10), invitation_id=old_invitation.id)
    _patient_message(db, world, oslo(2026, 11, 25, 9))  # a confirmation in the old course
    log_in(client, world.therapist_username, PASSWORD)
    close_as_admin(app, world)
    assert _register(client, world, record_id, returning="y").status_code == 302
    _patient_message(db, world, oslo(2026, 12, 3, 10, 5))  # today: both courses were open
    with db.session() as session:
        new_episode = session.scalars(
            select(Episode.id).where(Episode.status == EpisodeStatus.ACTIVE)
        ).one()

    new_page = client.get(f"/clinician/episodes/{new_episode}/appointments?lang=en")
    page = new_page.get_data(as_text=True).split('id="message-delivery"', 1)[1]
    assert "20/11/2026" not in page and "25/11/2026" not in page
    assert "Failed" not in page
    assert "03/12/2026, 10:05" in page
    old_page = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    page = old_page.get_data(as_text=True).split('id="message-delivery"', 1)[1]
    assert "20/11/2026" in page and "25/11/2026" in page and "03/12/2026, 10:05" in page


def _patient_message(db: Database, world: World, at: dt.datetime) -> None:
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"confirmation:{at.isoformat()}",
                patient_id=world.patient_id,
                kind=MessageKind.CONSENT_CONFIRMATION,
                channel=Channel.SMS,
                state=OutboxState.SENT,
                attempts=1,
                created_at=at,
            )
        )
