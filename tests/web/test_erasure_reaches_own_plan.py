"""An erasure of a patient's feedback data removes her crisis plan (every version) and her
standing choices, written in her own words on her link pages; her therapist no longer reads
them. The two tables stay append-only for everything else: the database lets rows go only for
the patient being erased, inside the erasure's own transaction (db/append_only.py)."""

from __future__ import annotations

import html

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import DBAPIError

from fit_platform.db import Database
from fit_platform.db.models import CrisisPlanVersion, ErasureInProgress, StandingChoiceEvent
from fit_platform.db.models import Patient as PatientRow
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation

PLAN = {
    "warning_signs": "I stop sleeping and stay in my room",
    "what_helps": "A walk with my sister",
    "who_to_call": "Kari 900 00 000",
    "staff_should": "Speak calmly",
    "staff_should_not": "Do not touch me without asking",
}
CHOICE = {"action": "add", "new-kind": "ended_approach", "new-text": "I have ended ECT"}


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _writes_her_plan(app: Flask, db: Database, world: World) -> None:
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.post(f"/p/{token}", {"action": "choices"})
    assert patient.post("/p/my-crisis-plan", PLAN).status_code == 302
    assert patient.post("/p/my-crisis-plan", PLAN | {"what_helps": "Music"}).status_code == 302
    assert patient.post("/p/my-standing-choices", CHOICE).status_code == 302


def _logged_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    log_in(client, username, PASSWORD)
    return client


def _own_plan_rows(db: Database, patient_id: int) -> tuple[int, int]:
    with db.session() as session:
        versions = session.scalar(
            select(func.count())
            .select_from(CrisisPlanVersion)
            .where(CrisisPlanVersion.patient_id == patient_id)
        )
        choices = session.scalar(
            select(func.count())
            .select_from(StandingChoiceEvent)
            .where(StandingChoiceEvent.patient_id == patient_id)
        )
    return int(versions or 0), int(choices or 0)


def test_an_erasure_removes_her_crisis_plan_and_standing_choices_and_nobody_elses(
    app: Flask,
) -> None:
    db = _db(app)
    world = make_world(db)
    neighbour = make_world(db)
    _writes_her_plan(app, db, world)
    _writes_her_plan(app, db, neighbour)
    therapist = _logged_in(app, world.therapist_username)
    view_path = f"/clinician/episodes/{world.episode_id}?lang=en"
    view = therapist.get(view_path).get_data(as_text=True)
    assert "Do not touch me without asking" in view and "I have ended ECT" in view

    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    with db.session() as session:
        record_id = session.get_one(PatientRow, world.patient_id).external_id
    erase_url = f"/admin/patients/{world.patient_id}/erase?unit={world.unit_id}&lang=en"
    form = admin.get(erase_url).get_data(as_text=True)
    assert "Versions of the crisis plan: <strong>2</strong>" in form
    assert "Standing choices (every change): <strong>1</strong>" in form
    assert "with the reasons the patient wrote when pausing or stopping" in form  # kept
    done = admin.post(
        erase_url,
        data={"csrf_token": csrf_token(form), "confirmation": record_id, "reason": "Asked"},
    )
    assert done.status_code == 302

    view = therapist.get(view_path).get_data(as_text=True)
    assert "Do not touch me without asking" not in view and "I have ended ECT" not in view
    assert _own_plan_rows(db, world.patient_id) == (0, 0)
    assert _own_plan_rows(db, neighbour.patient_id) == (2, 1)  # another patient's stay
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ErasureInProgress)) == 0


def test_outside_an_erasure_the_own_plan_stays_append_only(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    neighbour = make_world(db)
    _writes_her_plan(app, db, world)
    _writes_her_plan(app, db, neighbour)
    with pytest.raises(DBAPIError), db.transaction() as session:
        session.execute(delete(CrisisPlanVersion))
    # The marker of one patient's erasure lets only her rows go, not her neighbour's.
    with pytest.raises(DBAPIError), db.transaction() as session:
        session.execute(insert(ErasureInProgress).values(patient_id=world.patient_id))
        session.execute(
            delete(StandingChoiceEvent).where(
                StandingChoiceEvent.patient_id == neighbour.patient_id
            )
        )
    assert _own_plan_rows(db, world.patient_id) == (2, 1)
    assert _own_plan_rows(db, neighbour.patient_id) == (2, 1)


def test_the_admin_page_names_what_the_privacy_notice_promises_to_erase_and_export(
    app: Flask,
) -> None:
    """The patient is promised erasure of her crisis plan and standing choices too; the page
    where an administrator finds her for an erasure said only answers, comments, goals and
    contact details, so a request for those two could be answered "we cannot"."""
    db = _db(app)
    world = make_world(db)
    _writes_her_plan(app, db, world)
    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    with db.session() as session:
        record_id = session.get_one(PatientRow, world.patient_id).external_id
    found = admin.get(f"/admin/patients?unit={world.unit_id}&record_id={record_id}&lang=en")
    notice = app.test_client().get("/privacy?lang=en").get_data(as_text=True)
    erased = "answers, comments, goals, crisis plan, standing choices and contact details"
    assert "your answers, comments, goals, crisis plan, standing choices and contact details" in (
        notice
    )
    page = html.unescape(found.get_data(as_text=True))
    assert f"The patient's {erased} can be erased" in page
    # What the download holds, too (services/patient_export.py writes both).
    assert "goals, crisis plan, standing choices, decisions" in page
