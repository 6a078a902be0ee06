"""A closed course of treatment holds no session ahead.

A walk closed an episode and found its appointments page listing next week's session, and the
one marked as the last, as "Planned" for ever, the way a session that will still be held
reads. Followed from the therapist's appointments page through the administrator's close box
and close to the therapist's page and the audit trail.
"""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Appointment
from fit_platform.domain.codes import AppointmentStatus, Role
from tests.support.admin_close import close_as_admin
from tests.support.factories import PASSWORD, add_appointment, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import oslo


def _post(client: FlaskClient, page_url: str, url: str, **data: str) -> None:
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _statuses(db: Database) -> dict[int, tuple[AppointmentStatus, bool]]:
    with db.session() as session:
        return {
            a.id: (a.status, a.is_last)
            for a in session.scalars(select(Appointment).order_by(Appointment.starts_at))
        }


def test_closing_cancels_the_sessions_ahead_and_the_box_says_so_first(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    app.extensions["fit_clock"] = lambda: oslo(2026, 12, 3, 10)
    world = make_world(db)
    # This morning's session, not marked held yet: the therapist's to mark, not the close's.
    this_morning = add_appointment(db, world, oslo(2026, 12, 3, 9)).id
    log_in(client, world.therapist_username, PASSWORD)
    page_url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    for day in ("2026-12-10", "2026-12-17"):
        _post(client, page_url, page_url, day=day, time="10:00", form_nonce=day)
    *_, last = _statuses(db)
    _post(client, page_url, f"/clinician/appointments/{last}/last?lang=en", last="1")

    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    box = admin.get(f"/admin/units/{world.unit_id}/episodes?lang=en").get_data(as_text=True)
    assert "2 appointments are planned from now on: closing the episode cancels them." in box
    nb = admin.get(f"/admin/units/{world.unit_id}/episodes?lang=nb").get_data(as_text=True)
    assert "2 timeavtaler er planlagt fra nå av: å avslutte forløpet avlyser dem." in nb

    close_as_admin(app, world)
    statuses = _statuses(db)
    assert statuses.pop(this_morning) == (AppointmentStatus.PLANNED, False)
    assert set(statuses.values()) == {(AppointmentStatus.CANCELLED, False)}
    page = client.get(page_url).get_data(as_text=True)
    upcoming = page.split('id="planned-appointments"', 1)[1].split('id="past-appointments"')[0]
    assert upcoming.count('<td data-label="Status">Cancelled</td>') == 2
    assert "Planned" not in upcoming
    assert "Closing the episode cancelled the appointments that were still planned." in upcoming
    assert "last appointment" not in upcoming
    with db.session() as session:
        audit = session.scalars(
            select(AdminAudit).where(AdminAudit.action == "episode_closed")
        ).one()
    assert json.loads(audit.after or "{}")["appointments_cancelled"] == 2
    trail = admin.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Appointments cancelled: 2" in trail


def test_an_episode_with_no_session_ahead_gets_no_word_about_appointments(
    app: Flask, db: Database
) -> None:
    app.extensions["fit_clock"] = lambda: oslo(2026, 12, 3, 10)
    world = make_world(db)
    add_appointment(db, world, oslo(2026, 12, 3, 9))  # begun before now: not ahead
    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    box = admin.get(f"/admin/units/{world.unit_id}/episodes?lang=en").get_data(as_text=True)
    assert "planned-ahead" not in box and "planned from now on" not in box
