"""A risk signal the unit lead has as overdue stays on the lead's list when the patient gets
an active therapist again, until someone acknowledges it.

A walk deactivated a therapist, had her patient give a risk answer (on the lead's list at
once: nobody active was responsible) and transferred the episode a minute later, before the
scheduler's escalation run: the signal left the lead's list unacknowledged, and the new
therapist read it as a fresh one, for a day. Followed here from the administrator's pages and
the patient's link to the lead's caseload and the new therapist's pre-session view, with no
scheduler run in between.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Staff
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.unattended_risk import RISK_HEADING, risk_answer, risk_signal_ids, section

SHOWN = "Not acknowledged in time: shown to the unit lead Lise Leder"


def _client(app: Flask, staff: Staff) -> FlaskClient:
    client = app.test_client()
    log_in(client, staff.username, PASSWORD)
    return client


def _deactivated_with_arisk_answer(
    app: Flask, db: Database
) -> tuple[World, Staff, FlaskClient, FlaskClient, int]:
    """Tone is deactivated, then her patient answers a risk item: the lead has it at once."""
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id), name="Lise Leder")
    tone = make_staff(db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    world = make_world(db, unit=unit, therapist=tone)
    admin = _client(app, make_staff(db, (Role.ADMIN, None)))
    confirm_path = f"/admin/staff/{tone.id}/deactivate"
    confirm = admin.get(confirm_path).get_data(as_text=True)
    assert admin.post(confirm_path, data={"csrf_token": csrf_token(confirm)}).status_code == 302
    risk_answer(app, db, world)
    (signal,) = risk_signal_ids(db, world)
    lead_client = _client(app, lead)
    caseload = lead_client.get("/clinician/?lang=en").get_data(as_text=True)
    assert f"#signal-{signal}" in section(caseload, RISK_HEADING)
    # The patient's row says nobody is responsible (it named nobody, where others name one).
    assert '<strong class="no-therapist">No active responsible therapist</strong>' in caseload
    return world, tone, admin, lead_client, signal


def test_transferred_a_minute_after_the_risk_answer_it_stays_with_the_lead(app: Flask) -> None:
    db: Database = app.extensions["fit_db"]
    world, _tone, admin, lead_client, signal = _deactivated_with_arisk_answer(app, db)
    tor = make_staff(db, (Role.THERAPIST, world.unit_id), name="Tor Terapeut")
    episodes = f"/admin/units/{world.unit_id}/episodes"
    page = admin.get(episodes).get_data(as_text=True)
    prefix = f"transfer-{world.episode_id}"
    moved = admin.post(
        f"{episodes}/{world.episode_id}/transfer",
        data={"csrf_token": csrf_token(page), f"{prefix}-therapist": str(tor.id)},
    )
    assert moved.status_code == 302

    risk = section(lead_client.get("/clinician/?lang=en").get_data(as_text=True), RISK_HEADING)
    assert f"#signal-{signal}" in risk
    tor_client = _client(app, tor)
    view = tor_client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert SHOWN in view
    # Acknowledged by the new therapist, it leaves the lead's list.
    acknowledged = tor_client.post(
        f"/clinician/episodes/{world.episode_id}/signals/{signal}/acknowledge",
        data={"csrf_token": csrf_token(view), "note": "Called the patient"},
    )
    assert acknowledged.status_code == 302
    assert f"#signal-{signal}" not in lead_client.get("/clinician/").get_data(as_text=True)


def test_a_reactivated_therapist_finds_it_shown_to_the_lead_and_the_lead_keeps_it(
    app: Flask,
) -> None:
    db: Database = app.extensions["fit_db"]
    world, tone, admin, lead_client, signal = _deactivated_with_arisk_answer(app, db)
    detail = admin.get(f"/admin/staff/{tone.id}").get_data(as_text=True)
    back = admin.post(f"/admin/staff/{tone.id}/reactivate", data={"csrf_token": csrf_token(detail)})
    assert back.status_code == 302

    risk = section(lead_client.get("/clinician/?lang=en").get_data(as_text=True), RISK_HEADING)
    assert f"#signal-{signal}" in risk
    view = _client(app, tone).get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert SHOWN in view.get_data(as_text=True)
