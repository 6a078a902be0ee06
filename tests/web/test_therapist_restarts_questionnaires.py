"""A patient who stopped questionnaires is told she can start again by telling her therapist.
Without a link she cannot do it herself (a stopped patient gets no new links, and old link
tokens are deleted some weeks after they expire), so her therapist records it on the
pre-session view: her cancelled questionnaire opens again, the scheduler plans the next one,
and the consent history and her access log say who did it (services/consent_restart.py)."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from fit_platform.db import Database
from fit_platform.db.models import (
    AccessLog,
    Appointment,
    ConsentEvent,
    InvitationToken,
    Staff,
    Unit,
)
from fit_platform.db.models import Patient as PatientRow
from fit_platform.domain.codes import (
    Actor,
    ConsentEventKind,
    ConsentState,
    InvitationState,
    Role,
    ScheduleTrigger,
)
from fit_platform.services.enqueue import enqueue_due
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, invitation_state, now, open_invitation
from tests.support.scheduling import OSLO, RuleSpec, give_plan

RESTART_LABEL = "The patient has asked me for questionnaires again"


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _staff_client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    log_in(client, username, PASSWORD)
    return client


def _stop_through_the_link(app: Flask, token: str) -> Patient:
    patient = Patient(app.test_client(), token)
    assert patient.post(f"/p/{token}", {"action": "choices"}).headers["Location"] == "/p/choices"
    assert patient.post("/p/choices", {"action": "stop"}).status_code == 302
    done = patient.client.get("/p/choices/done?lang=en").get_data(as_text=True)
    assert "or tell your therapist" in done  # the promise this file holds
    return patient


def test_a_patient_who_stopped_asks_her_therapist_and_her_questionnaires_start_again(
    app: Flask,
) -> None:
    db = _db(app)
    unit = make_unit(db)
    with db.transaction() as session:  # no quiet hours: the test plans at any hour
        row = session.get_one(Unit, unit.id)
        row.quiet_from, row.quiet_until = "00:00", "00:00"
    world = make_world(db, unit=unit)
    invitation_id, token = open_invitation(db, world)
    _stop_through_the_link(app, token)
    assert invitation_state(db, invitation_id) is InvitationState.CANCELLED
    # A session in four hours, with a GAD-7 due four hours before it: stopped, nothing comes.
    at = now()
    with db.transaction() as session:
        session.add(Appointment(episode_id=world.episode_id, starts_at=at + dt.timedelta(hours=4)))
    give_plan(
        db, world.episode_id, RuleSpec("gad7", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=4)
    )
    assert enqueue_due(db, at, zone=OSLO).invitations == 0

    therapist = _staff_client(app, world.therapist_username)
    path = f"/clinician/episodes/{world.episode_id}"
    view = therapist.get(path + "?lang=en").get_data(as_text=True)
    assert RESTART_LABEL in view
    # Without the box ticked nothing changes, and the page says why.
    refused = therapist.post(
        path + "/consent/restart", data={"restart-csrf_token": csrf_token(view)}
    )
    assert refused.status_code == 302
    again = therapist.get(path + "?lang=en").get_data(as_text=True)
    assert "Start questionnaires again only when the patient has asked for it." in again
    with db.session() as session:
        assert session.get_one(PatientRow, world.patient_id).consent_state is ConsentState.STOPPED

    started = therapist.post(
        path + "/consent/restart",
        data={"restart-csrf_token": csrf_token(again), "restart-with_patient": "y"},
    )
    assert started.headers["Location"].endswith(path)  # the top, where the message is
    after = therapist.get(path + "?lang=en").get_data(as_text=True)
    assert "Questionnaires are started again." in after
    assert RESTART_LABEL not in after  # her feedback is on: nothing to start
    # The consent history names who did it ("(staff)" alone did not), her own stop as hers.
    with db.session() as session:
        name = session.get_one(Staff, world.therapist_id).display_name
    history = after[after.index('id="consent-heading"') :]
    assert re.search(rf"Started feedback again \({re.escape(name)}\)", history), history[:1500]
    assert "Stopped feedback (the patient)" in history
    with db.session() as session:
        event = session.scalars(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
        assert event is not None
        assert (event.kind, event.actor, event.staff_id) == (
            ConsentEventKind.RESTARTED,
            Actor.STAFF,
            world.therapist_id,
        )
        assert session.scalar(
            select(AccessLog.id).where(
                AccessLog.action == "consent_restart", AccessLog.patient_id == world.patient_id
            )
        )
    # What the patient sees: the questionnaire cancelled by her stop is open again, and the
    # scheduler plans the next one.
    assert invitation_state(db, invitation_id) is InvitationState.SENT
    assert app.test_client().get(f"/p/{token}?lang=en").status_code == 200
    assert enqueue_due(db, at, zone=OSLO).invitations == 1


def test_a_paused_patient_is_resumed_and_a_link_long_gone_is_no_obstacle(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.post(f"/p/{token}", {"action": "choices"})
    until = (now() + dt.timedelta(days=30)).astimezone(OSLO).date()
    patient.post("/p/choices", {"action": "pause", "pause-until": until.isoformat()})
    with db.transaction() as session:  # weeks later the link's token is deleted
        session.execute(delete(InvitationToken))
    therapist = _staff_client(app, world.therapist_username)
    path = f"/clinician/episodes/{world.episode_id}"
    view = therapist.get(path + "?lang=en").get_data(as_text=True)
    assert "End the pause now" in view
    therapist.post(
        path + "/consent/restart",
        data={"restart-csrf_token": csrf_token(view), "restart-with_patient": "y"},
    )
    said = therapist.get(path + "?lang=en").get_data(as_text=True)
    assert "The pause is ended." in said
    # Her questionnaire is open again on her old link: the therapist can tell her so.
    assert "A questionnaire the pause or stop had closed is open again" in said
    with db.session() as session:
        row = session.get_one(PatientRow, world.patient_id)
        assert (row.consent_state, row.paused_until) == (ConsentState.ACTIVE, None)
    assert invitation_state(db, invitation_id) is InvitationState.SENT


def test_only_the_patients_own_therapist_may_start_them_again(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    _stop_through_the_link(app, token)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    other = make_staff(db, (Role.THERAPIST, world.unit_id))
    path = f"/clinician/episodes/{world.episode_id}"
    lead_client = _staff_client(app, lead.username)
    lead_view = lead_client.get(path + "?lang=en").get_data(as_text=True)
    assert RESTART_LABEL not in lead_view  # a lead reads; the form is not offered
    forged = {"restart-csrf_token": csrf_token(lead_view), "restart-with_patient": "y"}
    assert lead_client.post(path + "/consent/restart", data=forged).status_code == 403
    other_client = _staff_client(app, other.username)
    home = other_client.get("/clinician/?lang=en").get_data(as_text=True)
    forged["restart-csrf_token"] = csrf_token(home)
    assert other_client.post(path + "/consent/restart", data=forged).status_code == 404
    with db.session() as session:
        assert session.get_one(PatientRow, world.patient_id).consent_state is ConsentState.STOPPED
