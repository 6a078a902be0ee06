"""A patient in a day programme chooses their own days on the web and the scheduler's next
ticks (an injected clock) invite them on those days only; the therapist chooses them with the
patient on the episode's page; days outside the programme are refused without a 500."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, Invitation, OutboxMessage
from fit_platform.domain.codes import (
    InvitationState,
    OutboxState,
    Role,
    ScheduleTrigger,
    UnitKind,
)
from fit_platform.scheduler.clock import jobs
from fit_platform.services.enqueue import enqueue_due
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation
from tests.support.scheduling import OSLO, Clock, RuleSpec, give_plan, oslo

# Monday to Friday, 10:00, answer the same day.
PROGRAMME_DAILY = RuleSpec(
    "phq9", ScheduleTrigger.DAILY, weekdays="1,2,3,4,5", send_time="10:00", window_hours=8
)


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _programme_patient(db: Database) -> World:
    world = make_world(db, unit=make_unit(db, UnitKind.DAY_PROGRAMME))
    give_plan(db, world.episode_id, PROGRAMME_DAILY)
    return world


def _patient_at_choices(client: FlaskClient, db: Database, world: World) -> Patient:
    """The patient's browser, opened on their own link and gone on to their choices."""
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    return patient


def _daily_invitation_weekdays(db: Database, episode_id: int) -> list[int]:
    with db.session() as session:
        rows = session.execute(
            select(Invitation.due_at, OutboxMessage.id)
            .join(OutboxMessage, OutboxMessage.invitation_id == Invitation.id)
            .where(Invitation.episode_id == episode_id, Invitation.rule_id.is_not(None))
            .order_by(Invitation.due_at)
        ).all()
    return [due.astimezone(OSLO).weekday() for due, _message in rows]


def _run_a_week_of_ticks(db: Database, monday: dt.datetime) -> None:
    clock = Clock(monday)
    enqueue = jobs(db, None, clock)["enqueue"]
    for _day in range(7):
        for _tick in range(3):  # the tick runs often; invitations are made once
            enqueue()
            clock.advance(minutes=20)
        clock.advance(days=1, minutes=-60)


def test_the_patient_chooses_tuesday_and_thursday_and_is_invited_on_those_days_only(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = _programme_patient(db)
    patient = _patient_at_choices(client, db, world)
    assert 'href="/p/my-days"' in client.get("/p/choices?lang=en").get_data(as_text=True)
    page = client.get("/p/my-days?lang=en").get_data(as_text=True)
    assert "The programme runs on: Monday, Tuesday, Wednesday, Thursday, Friday." in page
    saved = patient.post("/p/my-days", {"days": ["1", "3"]})
    assert saved.status_code == 302
    page = client.get("/p/my-days?lang=en").get_data(as_text=True)
    assert "Your days now: Tuesday, Thursday." in page

    _run_a_week_of_ticks(db, oslo(2027, 1, 4, 10, 5))
    assert _daily_invitation_weekdays(db, world.episode_id) == [1, 3]


def test_a_change_of_days_holds_from_the_next_tick(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = _programme_patient(db)
    _run_a_week_of_ticks(db, oslo(2027, 1, 4, 10, 5))
    assert _daily_invitation_weekdays(db, world.episode_id) == [0, 1, 2, 3, 4]
    patient = _patient_at_choices(client, db, world)
    patient.post("/p/my-days", {"days": ["4"]})
    _run_a_week_of_ticks(db, oslo(2027, 1, 11, 10, 5))
    assert _daily_invitation_weekdays(db, world.episode_id) == [0, 1, 2, 3, 4, 4]


def test_days_outside_the_programme_or_none_are_refused_and_nothing_changes(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = _programme_patient(db)
    patient = _patient_at_choices(client, db, world)
    none = patient.post("/p/my-days?lang=en", {})
    assert none.status_code == 422
    assert "Choose at least one day." in none.get_data(as_text=True)
    saturday = patient.post("/p/my-days?lang=en", {"days": ["5"]})
    assert saturday.status_code == 422
    forged = patient.post("/p/my-days?lang=en", {"days": ["Monday"]})
    assert forged.status_code == 422
    with db.session() as session:
        assert session.get(Episode, world.episode_id).own_weekdays is None  # type: ignore[union-attr]


def test_the_therapist_chooses_the_days_with_the_patient_and_others_get_404(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = _programme_patient(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/own-days?lang=en"
    page = client.get(url).get_data(as_text=True)
    assert "The patient's days now: Monday, Tuesday, Wednesday, Thursday, Friday." in page
    token = csrf_token(page)
    assert client.post(url, data={"csrf_token": token, "days": ["0", "2"]}).status_code == 302
    assert "The patient's days now: Monday, Wednesday." in client.get(url).get_data(as_text=True)
    with db.session() as session:
        assert session.get(Episode, world.episode_id).own_weekdays == "1,3"  # type: ignore[union-attr]

    stranger = make_staff(db, (Role.THERAPIST, world.unit_id))
    other = app.test_client()
    log_in(other, stranger.username, PASSWORD)
    assert other.get(url).status_code == 404


def test_a_patient_without_programme_days_is_not_offered_to_choose_days(
    app: Flask, client: FlaskClient
) -> None:
    """An outpatient with weekly sessions has no days to choose: "My days in the programme"
    on their choices page only led to "Your treatment has no days to choose between"."""
    db = _db(app)
    world = make_world(db)
    _patient_at_choices(client, db, world)
    choices = client.get("/p/choices?lang=en").get_data(as_text=True)
    assert "Pause questionnaires" in choices
    assert 'href="/p/my-days"' not in choices
    assert "My days in the programme" not in choices


def test_the_therapist_is_offered_the_patients_days_only_where_there_are_programme_days(
    app: Flask,
) -> None:
    """The same rule as the patient's choices page: an outpatient's schedule page linked to
    "The patient's days in the programme", which said there were no days to choose."""
    db = _db(app)
    outpatient = make_world(db)
    therapist = app.test_client()
    log_in(therapist, outpatient.therapist_username, PASSWORD)
    page = therapist.get(f"/clinician/episodes/{outpatient.episode_id}/schedule?lang=en")
    assert page.status_code == 200
    assert "/own-days" not in page.get_data(as_text=True)

    in_programme = _programme_patient(db)
    other = app.test_client()
    log_in(other, in_programme.therapist_username, PASSWORD)
    page = other.get(f"/clinician/episodes/{in_programme.episode_id}/schedule?lang=en")
    assert "/own-days" in page.get_data(as_text=True)


def test_a_closed_episodes_days_are_read_without_the_form_and_a_posted_one_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = _programme_patient(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    episodes = f"/admin/units/{world.unit_id}/episodes"
    token = csrf_token(client.get(episodes).get_data(as_text=True))
    closing = client.post(f"{episodes}/{world.episode_id}/close", data={"csrf_token": token})
    assert closing.status_code == 302
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/own-days?lang=en"
    page = therapist.get(url).get_data(as_text=True)
    assert "This episode was closed on" in page
    assert "The patient's days now: Monday, Tuesday, Wednesday, Thursday, Friday." in page
    assert 'name="days"' not in page and "Save the patient's days" not in page
    schedule = therapist.get(f"/clinician/episodes/{world.episode_id}/schedule?lang=en")
    assert "/own-days" not in schedule.get_data(as_text=True)
    token = csrf_token(therapist.get("/staff/account").get_data(as_text=True))
    refused = therapist.post(url, data={"csrf_token": token, "days": ["0"]})
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(f"/clinician/episodes/{world.episode_id}")
    with db.session() as session:
        assert session.get(Episode, world.episode_id).own_weekdays is None  # type: ignore[union-attr]


def test_a_day_the_patient_gives_up_takes_its_planned_questionnaire_with_it(
    app: Flask, client: FlaskClient
) -> None:
    """ "The questionnaires for the programme days are only sent on those days": a daily PHQ-9
    planned and waiting to be
    sent (held while the gateway is down, say) for a day the patient then gives up is not sent,
    and her therapist reads why. A change that keeps that day leaves it planned."""
    db = _db(app)
    world = _programme_patient(db)
    day = dt.datetime.now(OSLO).date() + dt.timedelta(days=1)
    while day.weekday() > 4:
        day += dt.timedelta(days=1)
    nine = dt.datetime.combine(day, dt.time(9), tzinfo=OSLO).astimezone(dt.UTC)
    assert enqueue_due(db, nine, zone=OSLO, horizon=dt.timedelta(hours=2)).invitations == 1
    with db.session() as session:
        planned = session.scalars(select(Invitation).where(Invitation.rule_id.is_not(None))).one()
    assert planned.state is InvitationState.SCHEDULED

    patient = _patient_at_choices(client, db, world)
    others = [str(d) for d in range(5) if d != day.weekday()]
    assert (
        patient.post("/p/my-days", {"days": [str(day.weekday()), *others[:1]]}).status_code == 302
    )
    with db.session() as session:
        assert session.get_one(Invitation, planned.id).state is InvitationState.SCHEDULED
    assert patient.post("/p/my-days", {"days": others}).status_code == 302
    with db.session() as session:
        given_up = session.get_one(Invitation, planned.id)
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.invitation_id == planned.id)
        ).one()
    assert (given_up.state, given_up.non_response_reason) == (
        InvitationState.CANCELLED,
        "plan_changed",
    )
    assert message.state is OutboxState.CANCELLED

    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    page = therapist.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    assert "Not sent: the plan was changed before it was sent" in page.get_data(as_text=True)


def test_the_page_says_which_questionnaires_follow_the_days_and_the_ticks_keep_to_it(
    app: Flask, client: FlaskClient
) -> None:
    """The days narrow the daily questionnaires only; a weekly one agreed for Friday still
    comes on Friday, and the patient's page says so rather than "only on those days"."""
    db = _db(app)
    world = make_world(db, unit=make_unit(db, UnitKind.DAY_PROGRAMME))
    weekly = RuleSpec(
        "gad7", ScheduleTrigger.WEEKLY, weekdays="5", send_time="10:00", window_hours=8
    )
    give_plan(db, world.episode_id, PROGRAMME_DAILY, weekly)
    patient = _patient_at_choices(client, db, world)
    page = client.get("/p/my-days?lang=en").get_data(as_text=True)
    assert "The questionnaires for the programme days are only sent on those days." in page
    assert "on a set weekday or around your appointments, come as agreed" in page
    assert patient.post("/p/my-days", {"days": ["1", "3"]}).status_code == 302

    _run_a_week_of_ticks(db, oslo(2027, 1, 4, 10, 5))
    with db.session() as session:
        sent = session.execute(
            select(Invitation.instrument_id, Invitation.due_at)
            .join(OutboxMessage, OutboxMessage.invitation_id == Invitation.id)
            .where(Invitation.episode_id == world.episode_id, Invitation.rule_id.is_not(None))
            .order_by(Invitation.due_at)
        ).all()
    assert [(i, due.astimezone(OSLO).weekday()) for i, due in sent] == [
        ("phq9", 1),
        ("phq9", 3),
        ("gad7", 4),
    ]


def test_with_only_programme_day_questionnaires_the_page_names_no_others(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = _programme_patient(db)
    _patient_at_choices(client, db, world)
    page = client.get("/p/my-days?lang=en").get_data(as_text=True)
    assert "The programme runs on:" in page and "Other questionnaires in your plan" not in page
