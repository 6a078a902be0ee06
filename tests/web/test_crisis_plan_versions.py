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
from fit_platform.web.formatting import format_datetime
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation
from tests.support.scheduling import Clock

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
    assert "Your crisis plan is restored from the version of" in page
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


def _shown(app: Flask, at: dt.datetime, language: str) -> str:
    """A time as the pages write it in that language (Oslo time, the short form)."""
    with app.test_request_context(headers={"Accept-Language": language}):
        return str(format_datetime(at, "short"))


def test_a_restored_plan_says_which_version_it_came_from_to_the_patient_and_her_therapist(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    # Versions saved minutes apart on the page clock, so each one's time names it alone.
    clock = Clock(dt.datetime.now(dt.UTC).replace(second=0, microsecond=0))
    app.extensions["fit_clock"] = clock
    patient = _open(client, db, world)
    patient.post("/p/my-crisis-plan", FIRST)
    first_at = clock.now
    clock.advance(minutes=7)
    patient.post("/p/my-crisis-plan", SECOND)
    clock.advance(minutes=13)
    with db.session() as session:
        first_id = session.scalars(select(CrisisPlanVersion.id).order_by(CrisisPlanVersion.id))
        restore = f"/p/my-crisis-plan/versions/{first_id.first()}/restore"
    assert patient.post(f"{restore}?lang=en").status_code == 302
    restored_at = clock.now

    # The patient's confirmation names the version she took back, by its time and number.
    page = client.get("/p/my-crisis-plan?lang=en").get_data(as_text=True)
    assert (
        f"Your crisis plan is restored from the version of {_shown(app, first_at, 'en')}"
        " (version 1)." in page
    )
    mine = client.get("/p/my-crisis-plan/versions?lang=en").get_data(as_text=True)
    newest = mine[mine.index("Version 3 (your plan now)") : mine.index("Version 2")]
    assert f"Restored from the version of {_shown(app, first_at, 'en')} (version 1)." in newest
    assert "Restored from" not in mine[mine.index("Version 2") :]

    therapist = _staff(app, world.therapist_username)
    html = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    plan = html[html.index('id="own-plan"') :]
    assert (
        f"Restored by the patient {_shown(app, restored_at, 'en')} from the version of"
        f" {_shown(app, first_at, 'en')}" in plan
    )
    summary = therapist.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en")
    plain = summary.get_data(as_text=True)
    plain = plain[plain.index('id="plain-text"') :]
    assert f"from the version of {_shown(app, first_at, 'en')}." in plain
    listed = therapist.get(
        f"/clinician/episodes/{world.episode_id}/crisis-plan-versions?lang=en"
    ).get_data(as_text=True)
    newest = listed[listed.index("Version 3 (in force now)") : listed.index("Version 2")]
    assert (
        f"Restored by the patient from the version of {_shown(app, first_at, 'en')}"
        " (version 1)." in newest
    )

    # Taking back the words that are the plan already adds nothing, and says which it was.
    assert patient.post(f"{restore}?lang=en").status_code == 302
    page = client.get("/p/my-crisis-plan?lang=en").get_data(as_text=True)
    assert (
        f"The version of {_shown(app, first_at, 'en')} (version 1) is already your crisis plan."
        in page
    )
    with db.session() as session:
        sources = list(
            session.scalars(
                select(CrisisPlanVersion.restored_from_id).order_by(CrisisPlanVersion.id)
            )
        )
    assert sources == [None, None, int(restore.split("/")[-2])]

    # In nynorsk and bokmål the therapist reads the same, in their words.
    nn = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=nn").get_data(as_text=True)
    assert _shown(app, first_at, "nn") in nn[nn.index('id="own-plan"') :]
    assert "Restored by the patient" not in nn
    nb = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=nb").get_data(as_text=True)
    assert _shown(app, first_at, "nb") in nb[nb.index('id="own-plan"') :]
    assert "Restored by the patient" not in nb


def test_the_page_of_a_patient_without_a_plan_is_a_read_and_logged(app: Flask) -> None:
    """It shows her name and "The patient has not written a crisis plan.": patient data, and
    it wrote no access-log row, so her "who has looked" list left it out."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    therapist = _staff(app, world.therapist_username)
    page = therapist.get(f"/clinician/episodes/{world.episode_id}/crisis-plan-versions?lang=en")
    assert page.status_code == 200
    assert "The patient has not written a crisis plan." in page.get_data(as_text=True)
    assert _reads(db, world.patient_id) == [
        (world.therapist_id, "crisis_plan_versions_view", "therapist")
    ]
