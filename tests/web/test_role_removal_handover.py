"""Taking a therapist's role in a unit away is a handover too.

A walk moved a therapist to another unit by giving her a role there and removing the old
one. The administrator saw only "The role is removed.": she still read and planned for her
old unit's patient from the new unit (access is by unit), the admin pages still named her
responsible with no mark, and the unit lead's list of patients with no active therapist was
empty. Now the role is not taken away while she is responsible for open episodes there, and
a link left by such a removal (made before this rule) no longer opens the patient to her:
the episode counts as having no active therapist everywhere, as after a deactivation.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import delete, select

from fit_platform.db import Database
from fit_platform.db.models import StaffRole
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation
from tests.support.staff_mail import post_form

UNATTENDED_HEADING = "Patients with no active therapist"


def _role_id(db: Database, staff_id: int, unit_id: int) -> int:
    with db.session() as session:
        return session.scalars(
            select(StaffRole.id).where(
                StaffRole.staff_id == staff_id,
                StaffRole.unit_id == unit_id,
                StaffRole.role == Role.THERAPIST,
            )
        ).one()


def test_a_therapist_role_is_not_taken_away_from_under_her_patients(app: Flask) -> None:
    db: Database = app.extensions["fit_db"]
    clinic, day_programme = make_unit(db), make_unit(db)
    make_staff(db, (Role.UNIT_LEAD, clinic.id), name="Lise Leder")
    tone = make_staff(
        db, (Role.THERAPIST, clinic.id), (Role.THERAPIST, day_programme.id), name="Tone Terapeut"
    )
    make_world(db, unit=clinic, therapist=tone)
    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    role_id = _role_id(db, tone.id, clinic.id)

    response = post_form(
        admin,
        f"/admin/staff/{tone.id}?lang=en",
        f"/admin/staff/{tone.id}/roles/{role_id}/remove",
        {},
    )
    assert response.status_code == 302
    shown = admin.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "This person is still responsible for open episodes in that unit." in shown
    with db.session() as session:
        assert session.get(StaffRole, role_id) is not None


def test_a_link_left_without_the_role_opens_nothing_and_the_lead_takes_over(
    app: Flask,
) -> None:
    db: Database = app.extensions["fit_db"]
    clinic, day_programme = make_unit(db), make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, clinic.id), name="Lise Leder")
    tone = make_staff(
        db, (Role.THERAPIST, clinic.id), (Role.THERAPIST, day_programme.id), name="Tone Terapeut"
    )
    world = make_world(db, unit=clinic, therapist=tone)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    landing = patient.client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert "Your therapist at" in landing
    tone_client = app.test_client()
    log_in(tone_client, tone.username, PASSWORD)
    episode = f"/clinician/episodes/{world.episode_id}"
    assert tone_client.get(episode).status_code == 200

    # The state an earlier removal left (no handover step then): the role in the clinic is
    # gone, the link to the episode is still there.
    with db.transaction() as session:
        session.execute(delete(StaffRole).where(StaffRole.id == _role_id(db, tone.id, clinic.id)))

    # She works in the day programme now: the clinic's patient is no longer hers to read or plan.
    for path in (episode, f"{episode}/appointments", f"{episode}/schedule"):
        assert tone_client.get(path).status_code == 404, path
    assert episode not in tone_client.get("/clinician/?lang=en").get_data(as_text=True)

    # The unit lead has the patient among those with no active therapist, at once.
    lead_client = app.test_client()
    log_in(lead_client, lead.username, PASSWORD)
    caseload = lead_client.get("/clinician/?lang=en").get_data(as_text=True)
    assert UNATTENDED_HEADING in caseload
    assert episode in caseload.split(UNATTENDED_HEADING, 1)[1].split("</section>", 1)[0]

    # The administrator's pages mark her and count the episode.
    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    episodes = admin.get(f"/admin/units/{clinic.id}/episodes?lang=en").get_data(as_text=True)
    assert "Tone Terapeut (no longer a therapist in this unit)" in episodes
    assert "No active therapist." in episodes

    # The patient's page no longer promises her therapist.
    landing = patient.client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert "Your therapist at" not in landing and "Someone at" in landing
