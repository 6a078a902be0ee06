"""An episode's pages offer a form only to the people the service takes it from. A unit lead
reads a patient's appointments but does not plan them (the episode's therapists do), so the
appointments page shows them no form to add, move or change an appointment, and no link to the
therapist-only schedule and contact pages; a samvalg record, which a unit lead may write, is
still offered and saved."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, SharedDecision
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import oslo

NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _appointments(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Appointment)) or 0


@pytest.fixture
def world(client: FlaskClient) -> World:
    """An episode with one planned appointment; the page clock stands at `NOW`."""
    client.application.extensions["fit_clock"] = lambda: NOW
    db = _db(client)
    world = make_world(db)
    with db.transaction() as session:
        session.add(
            Appointment(episode_id=world.episode_id, starts_at=oslo(2026, 12, 10, 9), ends_at=None)
        )
    return world


def test_a_unit_lead_reads_the_appointments_without_the_therapists_forms(
    client: FlaskClient, world: World
) -> None:
    db = _db(client)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Lena Lead")
    log_in(client, lead.username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    response = client.get(url + "?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Upcoming appointments" in page and "10/12/2026" in page
    assert "Add an appointment" not in page
    assert "Save status" not in page and "Move" not in page
    assert f"/clinician/episodes/{world.episode_id}/schedule" not in page
    assert f"/clinician/episodes/{world.episode_id}/contact" not in page
    # A form posted anyway is refused as before, and nothing is saved.
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    refused = client.post(url, data={"csrf_token": token, "day": "2026-12-11", "time": "09:00"})
    assert refused.status_code == 404
    assert _appointments(db) == 1


def test_the_episodes_therapist_gets_the_forms_the_lead_does_not(
    client: FlaskClient, world: World
) -> None:
    db = _db(client)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Add an appointment" in page and "Save status" in page and "Move" in page
    assert f"/clinician/episodes/{world.episode_id}/schedule" in page
    token = csrf_token(page)
    added = client.post(url, data={"csrf_token": token, "day": "2026-12-11", "time": "09:00"})
    assert added.status_code == 302
    assert _appointments(db) == 2


def test_a_unit_lead_is_offered_the_samvalg_record_and_it_is_saved(
    client: FlaskClient, world: World
) -> None:
    db = _db(client)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Lena Lead")
    log_in(client, lead.username, PASSWORD)
    base = f"/clinician/episodes/{world.episode_id}"
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert "Record a samvalg decision" in page
    # The standing choices are recorded by the episode's therapist with the patient.
    assert "Record a standing choice together with the patient" not in page
    form = client.get(f"{base}/decisions/new?lang=en").get_data(as_text=True)
    saved = client.post(
        f"{base}/decisions/new",
        data={"csrf_token": csrf_token(form), "options_discussed": "A or B", "decision": "B"},
    )
    assert saved.status_code == 302
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SharedDecision)) == 1
