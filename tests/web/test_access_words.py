"""The words for each access-log code, on the patient's "who has looked" list and on the
administrator's access log: an opened samvalg form reads as opened, a saved one as written,
a read of the patient's own plan has words on both sides, and every code written has words."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Patient as PatientRow
from fit_platform.domain.codes import Role
from fit_platform.services.access_log import ACCESS_ACTIONS, UnknownAccessAction, record_access
from fit_platform.web.access_labels import PATIENT_ACTIONS, STAFF_ACTIONS
from tests.support.factories import NOW, PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation

ROOT = Path(__file__).resolve().parents[2]


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _staff(app: Flask, username: str) -> FlaskClient:
    staff = app.test_client()
    log_in(staff, username, PASSWORD)
    return staff


def _who_has_looked(patient: Patient, lang: str = "en") -> str:
    html = patient.client.get(f"/p/progress?lang={lang}").get_data(as_text=True)
    return html[html.index('<div class="table-wrap"') :].lower()


def _admin_log(app: Flask, db: Database, world: World) -> str:
    admin = make_staff(db, (Role.ADMIN, None))
    with db.session() as session:
        record = session.get_one(PatientRow, world.patient_id).external_id
    client = _staff(app, admin.username)
    return client.get(f"/admin/access-log?lang=en&patient={record}").get_data(as_text=True)


def _patient(client: FlaskClient, db: Database, world: World) -> Patient:
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish()
    return patient


def test_an_opened_samvalg_form_reads_as_opened_and_a_saved_one_as_written(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    therapist = _staff(app, world.therapist_username)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = therapist.get(url)
    assert form.status_code == 200
    patient = _patient(client, db, world)

    looked = _who_has_looked(patient)
    assert "opened the form for recording what you decided together" in looked
    assert "wrote down" not in looked
    staff_side = _admin_log(app, db, world)
    assert "Samvalg form opened" in staff_side
    assert "Samvalg decision recorded" not in staff_side

    review = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    saved = therapist.post(
        url,
        data={
            "csrf_token": csrf_token(form.get_data(as_text=True)),
            "options_discussed": "More sessions or a group",
            "decision": "A group from March",
            "review_on": review,
            "visible_to_patient": "y",
        },
    )
    assert saved.status_code == 302
    assert "wrote down what you decided together" in _who_has_looked(patient)
    assert "Samvalg decision recorded" in _admin_log(app, db, world)


def test_a_read_of_the_patients_own_plan_has_words_on_both_sides(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _patient(client, db, world)
    patient.post(
        "/p/my-standing-choices",
        {"action": "add", "new-kind": "ended_approach", "new-text": "I have ended ECT"},
    )
    therapist = _staff(app, world.therapist_username)
    assert therapist.get(f"/clinician/episodes/{world.episode_id}").status_code == 200

    looked = _who_has_looked(patient)
    assert "read your crisis plan and your choices" in looked
    assert "opened your record</td>" not in looked
    assert "las kriseplanen din og vala dine" in _who_has_looked(patient, "nn")
    staff_side = _admin_log(app, db, world)
    assert "Patient&#39;s own plan viewed" in staff_side
    assert "own_plan_view" not in staff_side


def _codes_in_calls() -> set[object]:
    """The string codes the code base passes as an access-log action: `action="…"` in any
    call, and the code argument of the schedule page's `_episode` helper (any other constant
    there is kept too, so the check below catches it)."""
    found: set[object] = set()
    for path in (ROOT / "fit_platform").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in {"record_access", "record_bulk_access", "treating_episode", "_episode"}:
                continue
            values = [k.value for k in node.keywords if k.arg == "action"] + node.args[3:4]
            found |= {v.value for v in values if isinstance(v, ast.Constant)}
    return found


def test_every_access_log_code_has_words_for_staff_and_for_patients() -> None:
    assert _codes_in_calls() <= ACCESS_ACTIONS
    assert ACCESS_ACTIONS - set(STAFF_ACTIONS) == set()
    assert ACCESS_ACTIONS - set(PATIENT_ACTIONS) == set()


def test_a_code_without_words_is_refused_before_it_is_written(db: Database) -> None:
    world = make_world(db)
    with pytest.raises(UnknownAccessAction), db.transaction() as session:
        record_access(
            session,
            staff_id=world.therapist_id,
            role=Role.THERAPIST,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            action="something_new",
            now=NOW,
        )
