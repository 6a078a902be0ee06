"""Every clinician route × every role × someone else's ids: 403 or 404, never data.
And every patient-data route writes exactly one access-log row per request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, Appointment, SharedDecision, Signal
from fit_platform.domain.codes import AppointmentStatus, Role
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import (
    PASSWORD,
    World,
    add_appointment,
    add_history,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import csrf_token, log_in

# A move goes to a time that has not begun (a move into the past is refused); the app reads
# the wall clock here, so the day is counted from it.
TEN_DAYS_AHEAD = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).date().isoformat()


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {episode} and {signal} are filled in


ROUTES = (
    Route("GET", "/clinician/episodes/{episode}"),
    Route("GET", "/clinician/episodes/{episode}/decisions/new?signal={signal}"),
    Route("POST", "/clinician/episodes/{episode}/decisions/new"),
    Route("POST", "/clinician/episodes/{episode}/signals/{signal}/acknowledge"),
    Route("POST", "/clinician/episodes/{episode}/signals/{signal}/resolve"),
    Route("GET", "/clinician/episodes/{episode}/appointments"),
    Route("POST", "/clinician/episodes/{episode}/appointments"),
    Route("POST", "/clinician/appointments/{appointment}/status"),
    Route("POST", "/clinician/appointments/{appointment}/move"),
    Route("GET", "/clinician/episodes/{episode}/schedule"),
    Route("POST", "/clinician/episodes/{episode}/schedule"),
    Route("GET", "/fhir/episodes/{episode}/Bundle"),
    Route("GET", "/clinician/episodes/{episode}/summary"),
    Route("GET", "/clinician/episodes/{episode}/scores"),
)

# Who tries, as roles relative to the victim's unit.
INTRUDERS = (
    "therapist_same_unit",
    "therapist_other_unit",
    "unit_lead_other_unit",
    "admin",
    "service_developer",
    "own_episode_foreign_signal",
)


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _counts(db: Database) -> tuple[int, ...]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Appointment)) or 0,
            session.scalar(
                select(func.count()).where(Appointment.status != AppointmentStatus.PLANNED)
            )
            or 0,
            session.scalar(select(func.count()).select_from(AccessLog)) or 0,
            session.scalar(select(func.count()).select_from(SharedDecision)) or 0,
            session.scalar(select(func.count()).where(Signal.acknowledged_at.is_not(None))) or 0,
        )


def _form_data(client: FlaskClient, signal_id: int) -> dict[str, object]:
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    return {
        "csrf_token": token,
        "note": "note",
        "options_discussed": "a",
        "decision": "b",
        "signal_id": signal_id,
        "status": "cancelled",
        "day": "2026-12-02",
        "time": "10:00",
        "move-day": TEN_DAYS_AHEAD,
        "move-time": "10:00",
    }


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_no_route_shows_or_changes_someone_elses_patient(
    app: Flask, client: FlaskClient, intruder: str
) -> None:
    db = _db(app)
    unit, other_unit = make_unit(db), make_unit(db)
    victim = make_world(db, unit=unit)
    add_history(db, victim, [20, 15])
    victim_signal = add_signal(db, victim, SignalCode.NOT_ON_TRACK)
    appointment = add_appointment(db, victim, dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)).id
    episode, signal = victim.episode_id, victim_signal
    if intruder == "therapist_same_unit":
        staff = make_staff(db, (Role.THERAPIST, unit.id))
    elif intruder == "therapist_other_unit":
        staff = make_staff(db, (Role.THERAPIST, other_unit.id))
    elif intruder == "unit_lead_other_unit":
        staff = make_staff(db, (Role.UNIT_LEAD, other_unit.id))
    elif intruder == "admin":
        staff = make_staff(db, (Role.ADMIN, None), (Role.ADMIN, unit.id))
    elif intruder == "service_developer":
        staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    else:
        staff = make_staff(db, (Role.THERAPIST, unit.id))
        own = make_world(db, unit=unit, therapist=staff)
        episode = own.episode_id  # my episode id with the victim's signal id
    log_in(client, staff.username, PASSWORD)
    before = _counts(db)
    routes: tuple[Route, ...] = ROUTES
    if intruder == "own_episode_foreign_signal":
        # The pages of my own episode are mine to see; what must fail is the foreign signal.
        routes = tuple(r for r in ROUTES if "/signals/" in r.path or "{appointment}" in r.path)
    for route in routes:
        path = route.path.format(episode=episode, signal=signal, appointment=appointment) + (
            "&lang=en" if "?" in route.path else "?lang=en"
        )
        if route.method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data=_form_data(client, signal))
        body = response.get_data(as_text=True)
        assert response.status_code in (403, 404), (route, response.status_code)
        assert "Patient " not in body, route
        assert "chart-phq9" not in body, route
        assert "QuestionnaireResponse" not in body, route
    assert _counts(db) == before


def _legit(app: Flask, client: FlaskClient) -> tuple[Database, World, int, int]:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [20, 15])
    risk = add_signal(db, world, SignalCode.RISK_ANSWER)
    other = add_signal(db, world, SignalCode.NOT_ON_TRACK)
    log_in(client, world.therapist_username, PASSWORD)
    return db, world, risk, other


def _rows_for(db: Database, patient_id: int) -> list[tuple[str, Role]]:
    with db.session() as session:
        rows = session.execute(
            select(AccessLog.action, AccessLog.role)
            .where(AccessLog.patient_id == patient_id)
            .order_by(AccessLog.id)
        )
        return [(action, role) for action, role in rows]


def test_every_patient_data_route_writes_exactly_one_access_log_row(
    app: Flask, client: FlaskClient
) -> None:
    db, world, risk, other = _legit(app, client)
    e = world.episode_id
    appointment = add_appointment(db, world, dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)).id
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    review = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    requests = [
        ("GET", f"/clinician/episodes/{e}", {}, "presession_view"),
        ("GET", f"/clinician/episodes/{e}/decisions/new?signal={other}", {}, "decision_form"),
        (
            "POST",
            f"/clinician/episodes/{e}/decisions/new",
            {"options_discussed": "a", "decision": "b", "review_on": review},
            # The form's read, then the saved record: the patient is told it was written
            # down only when it was.
            ("decision_form", "decision_record"),
        ),
        (
            "POST",
            f"/clinician/episodes/{e}/signals/{risk}/acknowledge",
            {"note": "Phoned the patient"},
            "signal_acknowledge",
        ),
        ("POST", f"/clinician/episodes/{e}/signals/{other}/resolve", {}, "signal_resolve"),
        ("GET", f"/clinician/episodes/{e}/appointments", {}, "appointments_view"),
        (
            "POST",
            f"/clinician/episodes/{e}/appointments",
            # An hour after the one above (the same time twice is refused as a double booking).
            {"day": "2026-12-01", "time": "11:00"},
            "appointment_change",
        ),
        (
            "POST",
            f"/clinician/appointments/{appointment}/status",
            {"status": "done"},
            "appointment_change",
        ),
        (
            "POST",
            f"/clinician/appointments/{appointment}/move",
            {"move-day": TEN_DAYS_AHEAD, "move-time": "11:00"},
            "appointment_change",
        ),
        ("GET", f"/clinician/episodes/{e}/schedule", {}, "schedule_view"),
        ("GET", f"/fhir/episodes/{e}/Bundle", {}, "fhir_export"),
        ("GET", f"/clinician/episodes/{e}/summary", {}, "journal_summary"),
        ("GET", f"/clinician/episodes/{e}/scores", {}, "scores_view"),
    ]
    for method, path, data, action in requests:
        before = _rows_for(db, world.patient_id)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code in (200, 302), path
        after = _rows_for(db, world.patient_id)
        actions = (action,) if isinstance(action, str) else action
        assert after[len(before) :] == [(a, Role.THERAPIST) for a in actions], path


def test_caseload_writes_one_row_per_listed_patient_and_none_for_others(
    app: Flask, client: FlaskClient
) -> None:
    db, world, _risk, _other = _legit(app, client)
    stranger = make_world(db)
    client.get("/clinician/")
    assert _rows_for(db, world.patient_id) == [("caseload", Role.THERAPIST)]
    assert _rows_for(db, stranger.patient_id) == []


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.UNIT_LEAD])
def test_the_service_comments_page_refuses_every_clinical_role(
    app: Flask, client: FlaskClient, role: Role
) -> None:
    db = _db(app)
    unit = make_unit(db)
    staff = make_staff(db, (role, unit.id), (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    for path in ("/export/comments", f"/export/comments?unit={unit.id}&quarter=2026-Q4"):
        assert client.get(path).status_code == 403
