"""Every version of the crisis plan is kept "so you and your therapist can see what it said
before": followed from the patient's saves, an emptied plan and a version taken back, to what
the therapist, the unit lead and a therapist of another unit see and what the access log holds."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, CrisisPlanVersion
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation

FIRST = {
    "warning_signs": "I stop sleeping\nI stay in my room",
    "what_helps": "A walk with my sister <Kari>",
    "who_to_call": "Kari 900 00 000",
}
SECOND = {"what_helps": "Music, loud", "who_to_call": "Ola 911 11 111"}
EMPTY = {"warning_signs": "", "what_helps": "", "who_to_call": ""}


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _open(client: FlaskClient, db: Database, world: World) -> Patient:
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    return patient


def _staff(app: Flask, username: str) -> FlaskClient:
    staff = app.test_client()
    log_in(staff, username, PASSWORD)
    return staff


def _reads(db: Database, patient_id: int) -> list[tuple[int, str, str]]:
    with db.session() as session:
        return [
            (staff_id, action, role.value)
            for staff_id, action, role in session.execute(
                select(AccessLog.staff_id, AccessLog.action, AccessLog.role)
                .where(AccessLog.patient_id == patient_id)
                .order_by(AccessLog.id)
            )
        ]


def _saved_times(db: Database) -> list[dt.datetime]:
    with db.session() as session:
        return list(
            session.scalars(select(CrisisPlanVersion.created_at).order_by(CrisisPlanVersion.id))
        )


def _oslo_time(at: dt.datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo("Europe/Oslo")).strftime("%H:%M")


def test_an_emptied_plan_is_shown_to_staff_with_every_earlier_version_and_each_read_logged(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    elsewhere = make_world(db, unit=make_unit(db))
    stranger = make_staff(db, (Role.THERAPIST, elsewhere.unit_id))
    patient = _open(client, db, world)
    assert patient.post("/p/my-crisis-plan", FIRST).status_code == 302
    assert patient.post("/p/my-crisis-plan", SECOND).status_code == 302
    assert patient.post("/p/my-crisis-plan", EMPTY).status_code == 302
    own_page = client.get("/p/my-crisis-plan?lang=en").get_data(as_text=True)
    assert "Your plan is empty since" in own_page
    assert 'href="/p/my-crisis-plan/versions"' in own_page

    therapist = _staff(app, world.therapist_username)
    versions_url = f"/clinician/episodes/{world.episode_id}/crisis-plan-versions"
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "The patient emptied the crisis plan on" in html
    assert f'href="{versions_url}"' in html and "3 versions kept" in html
    summary = therapist.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en")
    page = summary.get_data(as_text=True)
    assert f'href="{versions_url}"' in page
    plain = page[page.index('id="plain-text"') :]
    assert "The patient emptied the crisis plan on" in plain

    versions = therapist.get(f"{versions_url}?lang=en")
    assert versions.status_code == 200
    listed = versions.get_data(as_text=True)
    # Newest first: the empty save, then the second, then the first, as written.
    assert listed.index("Version 3 (in force now)") < listed.index("Version 2")
    assert listed.index("Version 2") < listed.index("Music, loud") < listed.index("Version 1")
    assert listed.index("Version 1") < listed.index("A walk with my sister &lt;Kari&gt;")
    assert "I stop sleeping\nI stay in my room</dd>" in listed
    assert 'class="free-text"' in listed
    assert "<Kari>" not in listed
    assert listed.count("Saved by the patient") == 3
    for at in _saved_times(db):
        assert _oslo_time(at) in listed
    assert (world.therapist_id, "crisis_plan_versions_view", "therapist") in _reads(
        db, world.patient_id
    )

    assert _staff(app, lead.username).get(versions_url).status_code == 200
    assert (lead.id, "crisis_plan_versions_view", "unit_lead") in _reads(db, world.patient_id)

    other = _staff(app, stranger.username)
    assert other.get(versions_url).status_code == 404
    assert all(staff_id != stranger.id for staff_id, _a, _r in _reads(db, world.patient_id))


def test_the_patient_takes_version_one_back_and_her_therapist_sees_it_as_the_plan(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _open(client, db, world)
    patient.post("/p/my-crisis-plan", FIRST)
    patient.post("/p/my-crisis-plan", SECOND)
    patient.post("/p/my-crisis-plan", EMPTY)

    mine = client.get("/p/my-crisis-plan/versions?lang=en")
    assert mine.status_code == 200
    listed = mine.get_data(as_text=True)
    assert "Version 3 (your plan now)" in listed
    assert "Saved by you" in listed and "Music, loud" in listed
    with db.session() as session:
        ids = list(session.scalars(select(CrisisPlanVersion.id).order_by(CrisisPlanVersion.id)))
    restore = f"/p/my-crisis-plan/versions/{ids[0]}/restore"
    assert f'action="{restore}"' in listed
    # The plan now (version 3) is not offered back to itself.
    assert f'action="/p/my-crisis-plan/versions/{ids[2]}/restore"' not in listed

    done = patient.post(f"{restore}?lang=en")
    assert done.status_code == 302
    page = client.get("/p/my-crisis-plan?lang=en").get_data(as_text=True)
    assert "is your crisis plan again" in page
    assert "A walk with my sister &lt;Kari&gt;</textarea>" in page
    assert patient.post(restore).status_code == 302  # the same words again: no new version
    with db.session() as session:
        helps = list(
            session.scalars(select(CrisisPlanVersion.what_helps).order_by(CrisisPlanVersion.id))
        )
    assert helps == [FIRST["what_helps"], SECOND["what_helps"], "", FIRST["what_helps"]]

    therapist = _staff(app, world.therapist_username)
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    plan = html[html.index('id="own-plan"') :]
    assert "A walk with my sister &lt;Kari&gt;" in plan and "Music, loud" not in plan
    assert "emptied" not in plan and "4 versions kept" in plan


def test_a_version_of_another_patient_cannot_be_taken_back(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    other_world = make_world(db, unit=make_unit(db))
    other_client = client.application.test_client()
    _open(other_client, db, other_world).post("/p/my-crisis-plan", FIRST)
    patient = _open(client, db, world)
    with db.session() as session:
        theirs = session.scalar(select(CrisisPlanVersion.id))
    assert patient.post(f"/p/my-crisis-plan/versions/{theirs}/restore").status_code == 404
    assert patient.post("/p/my-crisis-plan/versions/99999999/restore").status_code == 404
    forged = client.post(f"/p/my-crisis-plan/versions/{theirs}/restore", data={})
    assert forged.status_code in (302, 400)
    with db.session() as session:
        assert len(session.scalars(select(CrisisPlanVersion.id)).all()) == 1
    own = client.get("/p/my-crisis-plan/versions?lang=en").get_data(as_text=True)
    assert "You have not saved a crisis plan yet." in own and "Kari" not in own
