"""A closed episode: its therapist reads the whole record, and is told it has ended when trying
to plan or record anything more in it (appointments, schedule, decisions, standing choices,
contact details). Nothing is changed by a refused form."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Patient,
    SchedulePlan,
    ScheduleRule,
    SharedDecision,
    StandingChoiceEvent,
)
from fit_platform.domain.codes import AppointmentStatus, Role, ScheduleTrigger
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import open_invitation
from tests.support.scheduling import oslo

# Mid-morning in Oslo; the local date of the close is 2 December whatever the wall clock says.
NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
CLOSED_ON = "2 Dec 2026"
REFUSED = "This episode was closed on 2 Dec 2026. It can still be read, but nothing can be"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _log_out(client: FlaskClient) -> None:
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    client.post("/staff/logout", data={"csrf_token": token})


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def closed(client: FlaskClient) -> tuple[World, int, str]:
    """An episode with a planned appointment and a questionnaire sent, closed by an
    administrator through the admin page; the episode's therapist is logged in afterwards.
    Returns the world, the appointment's id and the questionnaire link's token."""
    client.application.extensions["fit_clock"] = lambda: NOW
    db = _db(client)
    world = make_world(db)
    with db.transaction() as session:
        appointment = Appointment(
            episode_id=world.episode_id, starts_at=oslo(2026, 12, 10, 9), ends_at=None
        )
        session.add(appointment)
        session.flush()
        appointment_id = appointment.id
    _invitation_id, link_token = open_invitation(db, world)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    url = f"/admin/units/{world.unit_id}/episodes"
    token = csrf_token(client.get(url).get_data(as_text=True))
    closing = client.post(f"{url}/{world.episode_id}/close", data={"csrf_token": token})
    assert closing.status_code == 302
    _log_out(client)
    log_in(client, world.therapist_username, PASSWORD)
    return world, appointment_id, link_token


def test_the_pre_session_view_and_journal_summary_say_when_the_episode_closed(
    client: FlaskClient, closed: tuple[World, int, str]
) -> None:
    world, _appointment, _token = closed
    page = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert f"Closed on {CLOSED_ON}" in page
    assert "Next appointment" not in page and "No appointment planned" not in page
    header = page[page.index("<h1>") : page.index("</p>", page.index("<h1>"))]
    assert "Gives feedback" not in header  # a closed episode sends nothing
    # Reading stays possible; nothing that plans more treatment is offered.
    assert "Open signals" in page and "Samvalg decisions" in page
    assert "Record a samvalg decision" not in page
    assert "Record a standing choice together with the patient" not in page
    summary = client.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en")
    text = summary.get_data(as_text=True)
    assert summary.status_code == 200
    assert "<dt>Closed on</dt><dd>2 Dec 2026</dd>" in text
    assert f"Closed on: {CLOSED_ON}." in text  # the plain text to paste into the EPR
    appointments = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    html = appointments.get_data(as_text=True)
    assert appointments.status_code == 200
    assert "Add an appointment" not in html and REFUSED in html
    assert "Save status" not in html and "Move" not in html


def test_a_closed_episode_takes_no_new_or_moved_appointment(
    client: FlaskClient, closed: tuple[World, int, str]
) -> None:
    world, appointment_id, _token = closed
    db = _db(client)
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    added = client.post(
        f"/clinician/episodes/{world.episode_id}/appointments?lang=en",
        data={"csrf_token": token, "day": "2026-12-11", "time": "09:00"},
    )
    assert added.status_code == 303
    assert added.headers["Location"].endswith(f"/clinician/episodes/{world.episode_id}")
    assert REFUSED in client.get(added.headers["Location"] + "?lang=en").get_data(as_text=True)
    moved = client.post(
        f"/clinician/appointments/{appointment_id}/move",
        data={"csrf_token": token, "move-day": "2026-12-12", "move-time": "10:00"},
    )
    status = client.post(
        f"/clinician/appointments/{appointment_id}/status",
        data={"csrf_token": token, "status": "done"},
    )
    assert (moved.status_code, status.status_code) == (303, 303)
    with db.session() as session:
        [appointment] = session.scalars(select(Appointment)).all()
    assert appointment.starts_at.replace(tzinfo=dt.UTC) == oslo(2026, 12, 10, 9)
    # Cancelled by the close (a session ahead), and not marked done by the refused post.
    assert appointment.status is AppointmentStatus.CANCELLED


def test_a_closed_episode_takes_no_decision_rule_choice_or_contact_change(
    client: FlaskClient, closed: tuple[World, int, str]
) -> None:
    world, _appointment, _token = closed
    db = _db(client)
    base = f"/clinician/episodes/{world.episode_id}"
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    # The decision form is not offered, and a posted one is not saved.
    assert client.get(f"{base}/decisions/new").status_code == 303
    decision = client.post(
        f"{base}/decisions/new",
        data={"csrf_token": token, "options_discussed": "A or B", "decision": "B"},
    )
    rule = client.post(
        f"{base}/schedule",
        data={
            "new-csrf_token": token,
            "new-instrument": "phq9",
            "new-trigger": "weekly",
            "new-offset_hours": "0",
            "new-weekdays": ["1"],
            "new-send_time": "09:30",
            "new-window_hours": "48",
            "new-reminder_after_hours": "24",
            "new-min_interval_hours": "72",
            "new-active": "y",
        },
    )
    choice = client.post(
        f"{base}/standing-choices",
        data={
            "csrf_token": token,
            "action": "add",
            "own-choice-kind": "medication_free",
            "own-choice-text": "No pills",
            "own-choice-with_patient": "y",
        },
    )
    contact = client.post(
        f"{base}/contact",
        data={
            "csrf_token": token,
            "phone": "98765432",
            "email": "",
            "language": "nb",
            "channel": "sms",
        },
    )
    for refused in (decision, rule, choice, contact):
        assert refused.status_code == 303, refused.request.path
        assert refused.headers["Location"].endswith(base)
    assert _count(db, SharedDecision) == 0
    assert _count(db, ScheduleRule) == 0
    assert _count(db, StandingChoiceEvent) == 0
    with db.session() as session:
        assert session.get_one(Patient, world.patient_id).phone_e164 != "+4798765432"
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert REFUSED in page


def test_the_patients_open_link_says_the_treatment_period_has_ended(
    client: FlaskClient, closed: tuple[World, int, str]
) -> None:
    _world, _appointment, token = closed
    patient = client.application.test_client()
    response = patient.get(f"/p/{token}?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 410, page
    assert "Your treatment period has ended, so this questionnaire is no longer needed." in page
    assert "an appointment was moved" not in page
    # Nothing is left to pause or stop; the progress so far can still be seen.
    assert "Pause, stop or change how we contact you" not in page
    assert "See your progress" in page
    nynorsk = patient.get(f"/p/{token}?lang=nn").get_data(as_text=True)
    assert "Behandlingsperioden din er over" in nynorsk


def test_the_schedule_page_of_a_closed_episode_reads_the_rules_without_forms(
    client: FlaskClient, closed: tuple[World, int, str]
) -> None:
    world, _appointment, _token = closed
    db = _db(client)
    url = f"/clinician/episodes/{world.episode_id}/schedule"
    # The episode never had a plan: opening its schedule page leaves none behind.
    empty = client.get(url + "?lang=en")
    assert empty.status_code == 200
    assert REFUSED in empty.get_data(as_text=True)
    assert _count(db, SchedulePlan) == 0
    with db.transaction() as session:
        plan = SchedulePlan(name="", episode_id=world.episode_id)
        session.add(plan)
        session.flush()
        session.add(
            ScheduleRule(
                plan_id=plan.id,
                instrument_id="phq9",
                trigger=ScheduleTrigger.WEEKLY,
                offset_hours=0,
                weekdays="1,4",
                send_time="09:30",
                window_hours=48,
                reminder_after_hours=24,
                min_interval_hours=72,
                active=True,
            )
        )
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert REFUSED in page
    assert 'name="new-instrument"' not in page and "-instrument" not in page
    assert "Add a rule" not in page and "Save rule" not in page
    # The rule is read as the form would have shown it.
    assert "<dt>When</dt><dd>Weekly on chosen days</dd>" in page
    assert "<dd>Monday, Thursday</dd>" in page and "<dd>09:30</dd>" in page
    assert "<dt>In use</dt><dd>Yes</dd>" in page
    nynorsk = client.get(url + "?lang=nn").get_data(as_text=True)
    assert "Dette forløpet vart avslutta" in nynorsk


def test_a_crafted_rule_change_on_a_closed_episode_is_refused_even_when_invalid(
    client: FlaskClient, closed: tuple[World, int, str]
) -> None:
    world, _appointment, _token = closed
    db = _db(client)
    base = f"/clinician/episodes/{world.episode_id}"
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    refused = client.post(
        f"{base}/schedule",
        data={"new-csrf_token": token, "new-instrument": "phq9", "new-trigger": "weekly"},
    )
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(base)
    assert REFUSED in client.get(f"{base}?lang=en").get_data(as_text=True)
    assert _count(db, SchedulePlan) == 0 and _count(db, ScheduleRule) == 0


def test_the_contact_details_of_a_closed_episode_are_read_not_corrected(
    client: FlaskClient, closed: tuple[World, int, str]
) -> None:
    world, _appointment, _token = closed
    db = _db(client)
    url = f"/clinician/episodes/{world.episode_id}/contact"
    response = client.get(url + "?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert REFUSED in page
    assert 'name="phone"' not in page and 'name="channel"' not in page
    assert "Save the contact details" not in page
    assert "An administrator can still correct the contact details" in page
    with db.session() as session:
        phone = session.get_one(Patient, world.patient_id).phone_e164
    assert phone and f"<dd>{phone}</dd>" in page
    # A form that fails its own checks is refused for the same reason, not shown again.
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    refused = client.post(
        url, data={"csrf_token": token, "phone": "12", "language": "nb", "channel": "sms"}
    )
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(f"/clinician/episodes/{world.episode_id}")
    with db.session() as session:
        assert session.get_one(Patient, world.patient_id).phone_e164 == phone
