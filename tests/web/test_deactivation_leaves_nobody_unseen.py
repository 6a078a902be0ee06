"""Deactivating a therapist leaves no patient and no risk signal with nobody: the administrator
sees what the person leaves behind and can move it first; what is left is marked on the admin
pages, and the unit lead sees those patients and their risk signals at once."""

from __future__ import annotations

import datetime as dt
import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, EpisodeTherapist, Invitation, Signal, StaffRole
from fit_platform.db.models import Patient as PatientRow
from fit_platform.domain.codes import Role
from fit_platform.services.enqueue import enqueue_due
from fit_platform.services.reminders import queue_reminders
from fit_platform.services.signal_workflow import escalate_overdue_risk_signals
from tests.support.factories import (
    NOW,
    PASSWORD,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import csrf_token, log_in
from tests.support.patient import now
from tests.support.scheduling import OSLO, gad7_before_an_evening_session
from tests.support.unattended_risk import (
    RISK_HEADING,
    UNATTENDED_HEADING,
    risk_answer,
    risk_signal_ids,
    section,
)


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _logged_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    log_in(client, username, PASSWORD)
    return client


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_deactivated_therapists_patients_and_risk_signals_reach_the_unit_lead_at_once(
    app: Flask,
) -> None:
    db = _db(app)
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id), name="Lise Leder")
    therapist = make_staff(db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    world = make_world(db, unit=unit, therapist=therapist)
    risk_answer(app, db, world)
    (first_signal,) = risk_signal_ids(db, world)
    lead_client = _logged_in(app, lead.username)
    # While the therapist is active, a fresh risk signal waits for them (the escalation time).
    assert f"#signal-{first_signal}" not in _page(lead_client, "/clinician/?lang=en")

    # The administrator clicks "Deactivate account" and gets a step first.
    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    detail = _page(admin, f"/admin/staff/{therapist.id}?lang=en")
    confirm_path = f"/admin/staff/{therapist.id}/deactivate"
    assert f'href="{confirm_path}"' in detail
    confirm = _page(admin, confirm_path + "?lang=en")
    assert "Tone Terapeut is responsible for 1 open episode." in confirm
    assert "1 open signal" in confirm and "1 risk signal not acknowledged" in confirm
    assert f'href="/admin/units/{unit.id}/episodes"' in confirm
    assert "No other active therapist in this unit to transfer the episodes to" in confirm
    # Counts and links only: no patient on this page.
    with db.session() as session:
        patient = session.get_one(PatientRow, world.patient_id)
    assert patient.display_name not in confirm and str(patient.external_id) not in confirm

    # People leave suddenly: deactivating anyway is possible, and says what is left.
    done = admin.post(confirm_path, data={"csrf_token": csrf_token(confirm)})
    assert done.status_code == 302
    after = _page(admin, done.headers["Location"] + "?lang=en")
    assert "The account is deactivated" in after
    assert "1 open episode has no active therapist now" in after
    # The account page keeps saying so, with the way to the transfer.
    again = _page(admin, f"/admin/staff/{therapist.id}?lang=en")
    assert "1 open episode has no active therapist: the person was responsible for it." in again
    assert f'href="/admin/units/{unit.id}/episodes"' in again

    # The unit's episodes page marks the episode; the admin start page counts it.
    episodes = _page(admin, f"/admin/units/{unit.id}/episodes?lang=en")
    assert "Responsible: Tone Terapeut (deactivated)" in episodes
    assert "1 episode has no active therapist" in episodes
    home = _page(admin, "/admin/?lang=en")
    warning = section(home, "1 open episode has no active therapist")
    assert f'href="/admin/units/{unit.id}/episodes">{unit.name}</a>: 1 episode' in warning
    assert patient.display_name not in home

    # The unit lead sees the patient and the open risk signal right away, no scheduler run.
    lead_page = _page(lead_client, "/clinician/?lang=en")
    unattended = section(lead_page, UNATTENDED_HEADING)
    assert patient.display_name in unattended and "1 risk signal not acknowledged" in unattended
    assert f"/clinician/episodes/{world.episode_id}#signal-{first_signal}" in section(
        lead_page, RISK_HEADING
    )

    # A new risk answer of the patient reaches the lead at once, and the scheduler's
    # escalation marks both (nobody else is there to acknowledge them).
    risk_answer(app, db, world)
    first, second = risk_signal_ids(db, world)
    lead_page = _page(lead_client, "/clinician/?lang=en")
    risk = section(lead_page, RISK_HEADING)
    assert f"#signal-{first}" in risk and f"#signal-{second}" in risk
    assert "2 risk signals not acknowledged" in section(lead_page, UNATTENDED_HEADING)
    hours = app.config["FIT_SETTINGS"].risk_escalation_hours
    assert escalate_overdue_risk_signals(db, after=dt.timedelta(hours=hours), now=now()) == 2
    presession = _page(lead_client, f"/clinician/episodes/{world.episode_id}?lang=en")
    assert "Not acknowledged in time: shown to the unit lead Lise Leder" in presession

    # The lead acknowledges the flag (posted for its newest risk answer, which covers the
    # earlier one the page showed with it); both leave the lead's list of overdue ones.
    acknowledged = lead_client.post(
        f"/clinician/episodes/{world.episode_id}/signals/{second}/acknowledge",
        data={"csrf_token": csrf_token(presession), "note": "Called the patient"},
    )
    assert acknowledged.status_code == 302
    lead_page = _page(lead_client, "/clinician/?lang=en")
    assert f"#signal-{first}" not in lead_page and f"#signal-{second}" not in lead_page


def test_the_step_before_deactivation_moves_every_episode_to_a_colleague_of_the_unit(
    app: Flask,
) -> None:
    db = _db(app)
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id))
    leaving = make_staff(db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    colleague = make_staff(db, (Role.THERAPIST, unit.id), name="Kari Kollega")
    worlds = [make_world(db, unit=unit, therapist=leaving) for _ in range(2)]
    risk_answer(app, db, worlds[0])
    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    confirm_path = f"/admin/staff/{leaving.id}/deactivate"
    confirm = _page(admin, confirm_path + "?lang=en")
    assert "Tone Terapeut is responsible for 2 open episodes." in confirm
    assert re.search(rf'<option value="{colleague.id}">Kari Kollega</option>', confirm)
    assert f'<option value="{leaving.id}"' not in confirm

    # Someone who is not an active therapist of the unit is refused; nothing moves.
    outsider = make_staff(db, (Role.THERAPIST, make_unit(db).id))
    refused = admin.post(
        f"/admin/staff/{leaving.id}/hand-over/{unit.id}",
        data={"csrf_token": csrf_token(confirm), f"handover-{unit.id}-therapist": outsider.id},
    )
    assert refused.status_code == 422
    moved = admin.post(
        f"/admin/staff/{leaving.id}/hand-over/{unit.id}?lang=en",
        data={"csrf_token": csrf_token(confirm), f"handover-{unit.id}-therapist": colleague.id},
    )
    assert moved.status_code == 302
    confirm = _page(admin, confirm_path + "?lang=en")
    assert "2 episodes are transferred" in confirm
    assert "Tone Terapeut is responsible for no open episode." in confirm
    with db.session() as session:
        links = session.execute(
            select(EpisodeTherapist.episode_id, EpisodeTherapist.staff_id).where(
                EpisodeTherapist.episode_id.in_([w.episode_id for w in worlds])
            )
        ).all()
        audit = session.scalars(
            select(AdminAudit).where(AdminAudit.action == "episode_transferred")
        ).all()
    assert sorted(links) == sorted((w.episode_id, colleague.id) for w in worlds)
    assert len(audit) == 2
    assert json.loads(audit[0].after or "{}") == {"responsible_staff_ids": [colleague.id]}

    # The colleague has the patients and the open risk signal; deactivating leaves nothing.
    colleague_page = _page(_logged_in(app, colleague.username), "/clinician/?lang=en")
    for world in worlds:
        assert f"/clinician/episodes/{world.episode_id}" in colleague_page
    done = admin.post(confirm_path, data={"csrf_token": csrf_token(confirm)})
    after = _page(admin, done.headers["Location"] + "?lang=en")
    assert "no active therapist" not in after
    assert "no active therapist" not in _page(admin, "/admin/?lang=en")
    lead_page = _page(_logged_in(app, lead.username), "/clinician/?lang=en")
    assert UNATTENDED_HEADING not in lead_page and RISK_HEADING not in lead_page


def test_the_deactivation_step_says_when_the_unit_has_no_lead_to_see_the_patients(
    app: Flask,
) -> None:
    db = _db(app)
    world = make_world(db)
    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    confirm = _page(admin, f"/admin/staff/{world.therapist_id}/deactivate?lang=en")
    assert "The unit has no lead: nobody sees these patients" in confirm
    # An account that is not active has no such step.
    admin.post(
        f"/admin/staff/{world.therapist_id}/deactivate", data={"csrf_token": csrf_token(confirm)}
    )
    again = admin.get(f"/admin/staff/{world.therapist_id}/deactivate")
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"/admin/staff/{world.therapist_id}")
    # With nobody to show the patient to, the admin pages say so.
    home = _page(admin, "/admin/?lang=en")
    assert "1 episode – <strong>no unit lead either: nobody sees these patients" in home
    episodes = _page(admin, f"/admin/units/{world.unit_id}/episodes?lang=en")
    assert "No active therapist, and the unit has no lead: nobody sees this patient" in episodes


def test_the_leads_pre_session_view_marks_a_new_risk_signal_overdue_as_the_list_does(
    app: Flask,
) -> None:
    """With no active responsible therapist a new risk signal is overdue at once on the lead's
    list; the pre-session view says so at the same moment, not after the escalation run."""
    db = _db(app)
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id), name="Lise Leder")
    therapist = make_staff(db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    world = make_world(db, unit=unit, therapist=therapist)
    lead_client = _logged_in(app, lead.username)
    presession_url = f"/clinician/episodes/{world.episode_id}"
    shown = "Not acknowledged in time: shown to the unit lead Lise Leder"
    # While the therapist is active, a fresh risk signal waits for them on both pages.
    risk_answer(app, db, world)
    (first,) = risk_signal_ids(db, world)
    assert f"#signal-{first}" not in section(_page(lead_client, "/clinician/"), RISK_HEADING)
    assert shown not in _page(lead_client, presession_url + "?lang=en")

    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    confirm_path = f"/admin/staff/{therapist.id}/deactivate"
    confirm = _page(admin, confirm_path + "?lang=en")
    assert admin.post(confirm_path, data={"csrf_token": csrf_token(confirm)}).status_code == 302

    # The patient answers a risk item; the lead opens the list and the view at once.
    risk_answer(app, db, world)
    _first, second = risk_signal_ids(db, world)
    risk = section(_page(lead_client, "/clinician/?lang=en"), RISK_HEADING)
    assert f"#signal-{second}" in risk
    presession = _page(lead_client, presession_url + "?lang=en")
    signal = presession[presession.index(f'id="signal-{second}"') :]
    assert shown in signal[: signal.index("</p>", signal.index("Raised"))]
    assert "Ikke kvittert ut i tide: vist til enhetsleder Lise Leder" in _page(
        lead_client, presession_url + "?lang=nb"
    )
    with db.session() as session:
        assert session.get_one(Signal, second).escalated_at is None  # no scheduler run


def test_a_patient_nobody_would_see_is_asked_nothing_until_someone_does(app: Flask) -> None:
    """No active therapist and no unit lead: nobody would see her answers, though her pages
    say someone at her clinic does ("will see your answer and talk with you about it", after
    a risk answer). So the scheduler asks her nothing, no new questionnaire and no reminder,
    until the administrator transfers the episode; then both go."""
    db = _db(app)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    colleague = make_staff(db, (Role.THERAPIST, unit.id), name="Kari Kollega")
    world = make_world(db, unit=unit, therapist=therapist)
    # A GAD-7 four hours before a session at 20:00, and a PHQ-9 sent whose reminder is due.
    at = gad7_before_an_evening_session(db, world.episode_id, NOW)
    sent, _token = make_invitation(db, world, due_at=NOW.replace(hour=8))
    with db.transaction() as session:
        session.get_one(Invitation, sent.id).reminder_at = NOW.replace(hour=15)

    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    confirm_path = f"/admin/staff/{therapist.id}/deactivate"
    confirm = _page(admin, confirm_path + "?lang=en")
    assert "they get no questionnaires until a therapist takes them over" in confirm
    assert admin.post(confirm_path, data={"csrf_token": csrf_token(confirm)}).status_code == 302
    episodes_path = f"/admin/units/{world.unit_id}/episodes?lang=en"
    assert "so no questionnaires or reminders are sent" in _page(admin, episodes_path)
    assert "and they get no questionnaires" in _page(admin, "/admin/?lang=en")

    assert enqueue_due(db, at, zone=OSLO).invitations == 0
    assert queue_reminders(db, at) == 0

    # The administrator transfers the episode: someone sees her answers again.
    episodes = _page(admin, episodes_path)
    transferred = admin.post(
        f"/admin/units/{world.unit_id}/episodes/{world.episode_id}/transfer",
        data={
            "csrf_token": csrf_token(episodes),
            f"transfer-{world.episode_id}-therapist": str(colleague.id),
        },
    )
    assert transferred.status_code == 302
    assert enqueue_due(db, at, zone=OSLO).invitations == 1
    assert queue_reminders(db, at) == 1


def test_deactivating_a_units_only_lead_says_what_then_reaches_nobody(app: Flask) -> None:
    """A walk deactivated the only lead of a unit whose patient had no active therapist: the
    step said only "Lise Leder is responsible for no open episode.", and the patient, who
    answered a link sent earlier, was told someone at the clinic would see it."""
    db = _db(app)
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id), name="Lise Leder")
    therapist = make_staff(db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    make_world(db, unit=unit, therapist=therapist)
    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    confirm_path = f"/admin/staff/{lead.id}/deactivate?lang=en"
    confirm = _page(admin, confirm_path)
    assert "Lise Leder is the only active lead of" in confirm
    assert "would have no active therapist" not in confirm  # Tone is active

    # Tone left first (deactivated anyway): her patient now depends on the lead alone.
    step = _page(admin, f"/admin/staff/{therapist.id}/deactivate")
    assert admin.post(
        f"/admin/staff/{therapist.id}/deactivate", data={"csrf_token": csrf_token(step)}
    ).status_code in (302, 303)
    confirm = _page(admin, confirm_path)
    assert (
        "1 open episode there would have no active therapist: nobody would see that patient"
    ) in confirm

    # With a second lead, nothing of it is said.
    make_staff(db, (Role.UNIT_LEAD, unit.id), name="Lars Leder")
    assert "only active lead" not in _page(admin, confirm_path)


def test_removing_a_units_only_lead_role_says_what_then_reaches_nobody(app: Flask) -> None:
    """The deactivation step warned of the only lead; the role's own Remove button took it
    away with no more than "The role is removed." (a review)."""
    db = _db(app)
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id), name="Lise Leder")
    admin = _logged_in(app, make_staff(db, (Role.ADMIN, None)).username)
    with db.session() as session:
        role_id = session.scalars(select(StaffRole.id).where(StaffRole.staff_id == lead.id)).one()
    detail = _page(admin, f"/admin/staff/{lead.id}?lang=en")
    removed = admin.post(
        f"/admin/staff/{lead.id}/roles/{role_id}/remove",
        data={"csrf_token": csrf_token(detail)},
    )
    assert removed.status_code == 302
    after = _page(admin, removed.headers["Location"] + "?lang=en")
    assert "The role is removed." in after
    assert f"{unit.name} has no active lead now" in after
