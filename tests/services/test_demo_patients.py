from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    ConsentEvent,
    Episode,
    Invitation,
    Patient,
    Response,
    Signal,
)
from fit_platform.domain.codes import AppointmentStatus, Channel, ConsentState, InvitationState
from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, next_send_time
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.file_drop import FileDropChannel
from fit_platform.services.demo_course import HISTORY_SLOT
from fit_platform.services.demo_link import demo_patient_link
from fit_platform.services.demo_patients import seed_demo_patients
from fit_platform.services.demo_seed import (
    DEMO_PASSWORD,
    PHQ9_LEAD_HOURS,
    first_demo_appointment,
    seed_demo,
    seed_demo_schedules,
)
from fit_platform.services.invitations import enqueue_due
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient as PatientBrowser

OSLO = ZoneInfo("Europe/Oslo")
# The demo's planned sessions and what its scheduler made, not the seeded course before the
# demo starts (`services/demo_course.py`).
PLANNED = Appointment.status == AppointmentStatus.PLANNED


def _episode_of(db: Database, external_id: str) -> int:
    with db.session() as session:
        return session.scalars(
            select(Episode.id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Patient.external_id == external_id)
        ).one()


def test_demo_patients_are_seeded_once_and_each_start_gives_a_working_link(
    client: FlaskClient, db: Database
) -> None:
    seed_demo(db)
    now = dt.datetime.now(dt.UTC)  # each start of the demo reads the clock once
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    first = demo_patient_link(db, now=now, zone=OSLO)
    counts = {}
    with db.session() as session:
        for model in (Patient, Response, Signal, ConsentEvent):
            counts[model] = session.scalar(select(func.count()).select_from(model))
    now = dt.datetime.now(dt.UTC)
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    second = demo_patient_link(db, now=now, zone=OSLO)
    with db.session() as session:
        for model, n in counts.items():
            assert session.scalar(select(func.count()).select_from(model)) == n
        states = set(session.scalars(select(Patient.consent_state)))
        assert (
            session.scalar(
                select(func.count()).select_from(Signal).where(Signal.code == "risk_answer")
            )
            == 1
        )
    assert states == {ConsentState.ACTIVE, ConsentState.PAUSED, ConsentState.STOPPED}
    assert first != second
    assert counts[Response] == 4 * 16 * 3
    for link in (first, second):
        assert client.get(link).status_code == 200


# Thursday night to Saturday noon: the hours and days at which "23 hours from now" used to
# book the first session at night or on a weekend (a demo started at 01:00 met at 00:00).
DEMO_STARTS = [
    "2026-12-03T00:30",
    "2026-12-02T15:40",  # the first slot is 14:45 the next day: the other outpatient at 13:45
    "2026-12-03T09:00",
    "2026-12-03T16:16",  # the longest wait: the next slot is Monday 08:00
    "2026-12-04T01:00",
    "2026-12-04T06:00",
    "2026-12-04T14:00",
    "2026-12-04T19:00",
    "2026-12-04T22:30",
    "2026-12-05T12:00",
    "2026-10-22T16:20",  # the clocks go back that Sunday: an hour more to wait
]


@pytest.mark.parametrize("started", DEMO_STARTS)
def test_the_demo_books_its_sessions_in_clinic_hours_and_its_first_invitation_goes_at_once(
    db: Database, started: str
) -> None:
    now = dt.datetime.fromisoformat(started).replace(tzinfo=OSLO).astimezone(dt.UTC)
    first_send = next_send_time(now, tz=OSLO)  # 21:00-08:00 is quiet
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    demo_patient_link(db, now=now, zone=OSLO)
    with db.session() as session:
        sessions = session.execute(
            select(Appointment.starts_at, Appointment.ends_at).where(PLANNED)
        ).all()
        annas = session.scalars(
            select(Appointment.starts_at).where(
                PLANNED, Appointment.episode_id == _episode_of(db, "DEMO-P001")
            )
        ).all()
    assert sessions
    first = min(annas)
    assert first - now >= dt.timedelta(hours=23)
    # The first slot at least 23 hours ahead: nothing in clinic hours comes between. The
    # other outpatient's an hour later that day (or earlier, when that is past 15:15).
    assert first == first_demo_appointment(now, OSLO)
    assert min(starts for starts, _ in sessions) - now >= dt.timedelta(hours=22)
    for starts, ends in sessions:
        assert ends is not None
        local_start, local_end = starts.astimezone(OSLO), ends.astimezone(OSLO)
        assert local_start.weekday() < 5, local_start
        assert dt.time(8, 0) <= local_start.time() and local_end.time() <= dt.time(16, 0)
    # The two outpatients, seen by the same therapist, never at the same time.
    assert len({starts for starts, _ in sessions}) == len(sessions)
    # The second active outpatient gets the PHQ-9 for the first session as soon as a message
    # may leave: at once in the day, at 08:00 when the demo starts in quiet hours, whatever
    # the day. The first has it already: the printed demo link.
    enqueue_due(db, now, zone=OSLO)
    enqueue_due(db, first_send, zone=OSLO)
    with db.session() as session:
        due = session.scalars(
            select(Invitation.due_at)
            .join(Episode, Episode.id == Invitation.episode_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Patient.external_id != "DEMO-P001", Invitation.instrument_id == "phq9")
            .where(~Invitation.slot_key.startswith(HISTORY_SLOT))
        ).all()
    assert len(due) == 1
    assert max(due[0], now) == first_send


def test_no_slot_in_clinic_hours_is_skipped_between_23_hours_ahead_and_the_first_session() -> None:
    # Every quarter hour of a week, Monday 00:00 onwards.
    monday = dt.datetime(2026, 11, 30, tzinfo=OSLO)
    for quarter in range(7 * 24 * 4):
        now = (monday + dt.timedelta(minutes=15 * quarter + 7)).astimezone(dt.UTC)
        first = first_demo_appointment(now, OSLO)
        local = first.astimezone(OSLO)
        assert local.weekday() < 5 and dt.time(8) <= local.time() <= dt.time(15, 15)
        assert dt.timedelta(hours=23) <= first - now <= dt.timedelta(hours=PHQ9_LEAD_HOURS)
        earlier = first - dt.timedelta(minutes=15)
        if earlier - now >= dt.timedelta(hours=23):
            # The quarter before was already far enough ahead: it must be outside clinic hours.
            before = earlier.astimezone(OSLO)
            assert before.weekday() >= 5 or not dt.time(8) <= before.time() <= dt.time(15, 15)


def _unanswered_on_the_caseload(client: FlaskClient, name: str) -> str:
    page = client.get("/clinician/").get_data(as_text=True)
    row = page[page.index(name) :]
    row = row[: row.index("</tr>")]
    return re.search(r'data-label="Waiting for an answer">\s*(\d+)', row).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("wall_clock", ["06:00", "14:45", "22:30"])
def test_the_demo_link_is_the_first_patients_only_open_phq9_and_answering_it_clears_the_caseload(
    client: FlaskClient, db: Database, wall_clock: str, tmp_path: Path
) -> None:
    # Before, the scheduler sent a second PHQ-9 for the first session beside the printed
    # link: after the patient answered the link, the caseload still said 1 unanswered.
    hour, minute = map(int, wall_clock.split(":"))
    today = dt.datetime.now(OSLO).date()
    now = dt.datetime.combine(today, dt.time(hour, minute), OSLO).astimezone(dt.UTC)
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    link = demo_patient_link(db, now=now, zone=OSLO)
    outbox = tmp_path / "outbox"
    files = {
        Channel.SMS: FileDropChannel(outbox, "sms"),
        Channel.EMAIL: FileDropChannel(outbox, "email"),
    }
    for moment in (
        now,
        next_send_time(now, tz=OSLO),
        next_send_time(now, tz=OSLO) + dt.timedelta(minutes=5),
    ):
        enqueue_due(db, moment, zone=OSLO)

        def clock(m: dt.datetime = moment) -> dt.datetime:
            return m

        Dispatcher(db, files, lambda token: f"/p/{token}", clock=clock).drain()
    assert len(list(outbox.glob("*.txt"))) == 1  # the second outpatient's first invitation
    with db.session() as session:
        open_phq9 = session.scalars(
            select(Invitation.slot_key)
            .join(Episode, Episode.id == Invitation.episode_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(
                Patient.external_id == "DEMO-P001",
                Invitation.instrument_id == "phq9",
                ~Invitation.slot_key.startswith(HISTORY_SLOT),
                Invitation.state.in_(
                    (InvitationState.SCHEDULED, InvitationState.SENT, InvitationState.OPENED)
                ),
            )
        ).all()
    assert len(open_phq9) == 1 and open_phq9[0].startswith("appt:")

    patient = PatientBrowser(client, link.removeprefix("/p/"))
    patient.start()
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302
    client.post("/p/logout", data={"csrf_token": patient.csrf})
    log_in(client, "terapeut1@demo.fit", DEMO_PASSWORD)
    assert _unanswered_on_the_caseload(client, "Anna Demo") == "0"


def test_the_printed_link_can_be_answered_until_the_session_it_is_for_starts(
    client: FlaskClient, db: Database
) -> None:
    # Started on a Thursday at 20:24. The printed link once said "until Saturday 5 December
    # at 20:24", a day after the session it was for; then the session was 23 hours ahead,
    # Friday at 19:15, after the clinic had closed. Now it is the first slot in clinic hours.
    now = dt.datetime(2026, 12, 3, 20, 24, tzinfo=OSLO).astimezone(dt.UTC)
    client.application.extensions["fit_clock"] = lambda: now
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    link = demo_patient_link(db, now=now, zone=OSLO)
    landing = client.get(link + "?lang=en").get_data(as_text=True)
    assert "You can answer until Monday 7 December at 08:00." in landing
    assert "Saturday" not in landing

    # It is that session's invitation: moving the session withdraws it at once.
    with db.session() as session:
        [appointment_id] = session.scalars(
            select(Invitation.appointment_id).where(
                Invitation.instrument_id == "phq9", ~Invitation.slot_key.startswith(HISTORY_SLOT)
            )
        ).all()
    log_in(client, "terapeut1@demo.fit", DEMO_PASSWORD)
    episode_id = _episode_of(db, "DEMO-P001")
    page = client.get(f"/clinician/episodes/{episode_id}/appointments").get_data(as_text=True)
    moved = client.post(
        f"/clinician/appointments/{appointment_id}/move",
        data={"csrf_token": csrf_token(page), "move-day": "2026-12-08", "move-time": "10:00"},
    )
    assert moved.status_code == 302
    patient = client.application.test_client()
    closed = patient.get(link + "?lang=en").get_data(as_text=True)
    assert "It was cancelled because your appointment was moved or cancelled." in closed


def test_a_link_printed_days_before_its_session_is_open_until_the_session(
    client: FlaskClient, db: Database
) -> None:
    """Restarted on a Thursday morning, the demo printed a link for Monday's session that
    closed at 01:59 on Monday: its window was counted from the print, 90 hours, not from when
    the plan sends it (90 hours before the session)."""
    first = dt.datetime(2026, 12, 3, 20, 24, tzinfo=OSLO).astimezone(dt.UTC)
    seed_demo(db)
    seed_demo_patients(db, now=first, zone=OSLO)
    seed_demo_schedules(db, now=first, zone=OSLO)
    demo_patient_link(db, now=first, zone=OSLO)
    later = dt.datetime(2026, 12, 10, 7, 59, tzinfo=OSLO).astimezone(dt.UTC)
    client.application.extensions["fit_clock"] = lambda: later
    link = demo_patient_link(db, now=later, zone=OSLO)
    landing = client.get(link + "?lang=en").get_data(as_text=True)
    assert "You can answer until Monday 14 December at 08:00." in landing


def test_restarting_the_demo_on_another_day_books_no_second_series_of_sessions(
    db: Database,
) -> None:
    """The demo sessions were keyed by their date, so a start three days later booked four
    more for every outpatient, and each brought its own questionnaires."""
    day_d = dt.datetime(2026, 12, 3, 9, 0, tzinfo=OSLO).astimezone(dt.UTC)
    seed_demo(db)
    seed_demo_patients(db, now=day_d, zone=OSLO)
    assert seed_demo_schedules(db, now=day_d, zone=OSLO) == 2 * 4  # two outpatients
    enqueue_due(db, day_d, zone=OSLO)

    def booked() -> list[tuple[int, int, dt.datetime]]:
        with db.session() as session:
            rows = session.execute(
                select(Appointment.id, Appointment.episode_id, Appointment.starts_at)
                .where(PLANNED)
                .order_by(Appointment.id)
            )
            return [(row.id, row.episode_id, row.starts_at) for row in rows]

    first = booked()
    day_d3 = day_d + dt.timedelta(days=3)
    seed_demo_patients(db, now=day_d3, zone=OSLO)
    assert seed_demo_schedules(db, now=day_d3, zone=OSLO) == 0
    assert booked() == first
    for hours in (0, 24, 48, 96):
        enqueue_due(db, day_d3 + dt.timedelta(hours=hours), zone=OSLO)
    with db.session() as session:
        asked_for = set(
            session.scalars(
                select(Invitation.appointment_id).where(
                    Invitation.appointment_id.is_not(None),
                    ~Invitation.slot_key.startswith(HISTORY_SLOT),
                )
            )
        )
    assert asked_for and asked_for <= {appointment_id for appointment_id, _, _ in first}


def test_demo_patients_are_registered_before_their_history_begins(db: Database) -> None:
    # The patient's file says when the patient was registered (`registered_at`); a demo
    # patient registered at the demo's start had two years of answers before it.
    seed_demo(db)
    now = dt.datetime.now(dt.UTC)
    seed_demo_patients(db, now=now, zone=OSLO)
    with db.session() as session:
        rows = session.execute(
            select(Patient.external_id, Patient.created_at, func.min(Response.submitted_at))
            .join(Episode, Episode.patient_id == Patient.id)
            .join(Response, Response.episode_id == Episode.id)
            .group_by(Patient.id, Patient.external_id, Patient.created_at)
        ).all()
    assert rows
    for external_id, registered, first_answer in rows:
        assert first_answer is not None
        assert registered <= first_answer < now, external_id
    # Nor was anyone asked before being registered: Anna's first PHQ-9 goes out 90 hours
    # before her first Monday session, and she was registered on the Friday after it.
    with db.session() as session:
        asked = session.execute(
            select(Patient.external_id, Patient.created_at, func.min(Invitation.sent_at))
            .join(Episode, Episode.patient_id == Patient.id)
            .join(Invitation, Invitation.episode_id == Episode.id)
            .group_by(Patient.id, Patient.external_id, Patient.created_at)
        ).all()
    assert len(asked) == len(rows)
    for external_id, registered, first_sent in asked:
        assert first_sent is not None and registered <= first_sent, external_id


@pytest.mark.parametrize(
    "started", ["2026-12-05T04:11", "2026-12-04T22:30", "2026-12-07T06:00", "2026-10-22T16:20"]
)
def test_the_demo_history_has_its_sessions_and_the_questionnaires_that_asked(
    client: FlaskClient, db: Database, started: str
) -> None:
    """A demo patient with sixteen weeks of answers had no past session and one questionnaire
    on the appointments page; each answer now has the questionnaire that asked for it, and an
    outpatient's week its session, in clinic hours, between the outcome answers and the
    alliance answer (`services/demo_course.py`)."""
    now = dt.datetime.fromisoformat(started).replace(tzinfo=OSLO).astimezone(dt.UTC)
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    episode_id = _episode_of(db, "DEMO-P002")
    with db.session() as session:
        past = session.scalars(
            select(Appointment.starts_at)
            .where(Appointment.episode_id == episode_id, ~PLANNED)
            .order_by(Appointment.starts_at)
        ).all()
        rows = session.execute(
            select(Response.instrument_id, Response.submitted_at, Invitation.state)
            .outerjoin(Invitation, Invitation.id == Response.invitation_id)
            .where(Response.episode_id == episode_id)
        ).all()
        windows = session.execute(
            select(Invitation.sent_at, Response.submitted_at, Invitation.expires_at).join(
                Response, Response.invitation_id == Invitation.id
            )
        ).all()
    assert len(windows) == 4 * 48  # every demo patient's every answer
    for sent_at, answered_at, closes in windows:  # sent by day, before the answer, in time
        assert sent_at is not None and answered_at is not None
        assert not DEFAULT_QUIET_HOURS.contains(sent_at, OSLO), sent_at
        assert sent_at < answered_at < closes
    answered = [(i, at, state) for i, at, state in rows if at is not None]
    assert len(past) == 16 and all(starts < now for starts in past)
    assert len(rows) == len(answered)  # every history answer has its time
    for starts in past:
        local = starts.astimezone(OSLO)
        assert local.weekday() < 5 and local.time() == dt.time(10, 0)
    assert len(answered) == 48
    assert {state for _, _, state in answered} == {InvitationState.COMPLETED}
    for starts in past:  # the week's PHQ-9 and GAD-7 before its session, the WAI-SR after
        week = [
            (i, at)
            for i, at, _ in answered
            if starts - dt.timedelta(days=4) < at < starts + dt.timedelta(days=1)
        ]
        assert {i for i, at in week if at < starts} == {"phq9", "gad7"}
        assert {i for i, at in week if at > starts} == {"wai_sr"}

    log_in(client, "terapeut1@demo.fit", DEMO_PASSWORD)
    page = client.get(f"/clinician/episodes/{episode_id}/appointments?lang=en")
    text = " ".join(page.get_data(as_text=True).split())
    assert "No questionnaires yet" not in text
    sessions, questionnaires = text.split('id="questionnaires"', 1)
    assert sessions.count('<td data-label="Status">Done</td>') == 16
    assert questionnaires.count(">Answered</td>") == 48
    # Each questionnaire's message, sent: the delivery table no longer says "No messages yet"
    # under 48 questionnaires sent; the newest as they are, the rest folded.
    delivery = text.split('<h2 id="message-delivery">Message delivery</h2>', 1)[1]
    assert "No messages yet" not in delivery
    folded = re.search(r"Show (\d+) earlier messages", delivery)
    assert folded is not None and int(folded.group(1)) >= 40
    assert delivery.count(", invitation</td>") == 48


@pytest.mark.parametrize("started", ["2026-12-05T04:11", "2026-12-07T06:00", "2027-04-20T10:00"])
def test_the_demo_history_runs_as_the_demo_plans_would_have_run_it_in_local_time(
    db: Database, started: str
) -> None:
    """Sixteen weeks were laid out in UTC from the minute the demo started: after the clocks
    went back every send moved an hour, the day programme's questionnaires went on Saturdays
    though its plan sends on Mondays and Fridays, the WAI-SR meant for after a session went the
    evening before it, and both outpatients of one therapist had their sessions at the same
    hour. Each runs as its unit's plan (`demo_seed.DEMO_TEMPLATES`) in Oslo time now; the
    histories span a change of the clocks (October, or March for an April start)."""
    now = dt.datetime.fromisoformat(started).replace(tzinfo=OSLO).astimezone(dt.UTC)
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    with db.session() as session:
        rows = session.execute(
            select(
                Patient.external_id,
                Invitation.instrument_id,
                Invitation.sent_at,
                Appointment.starts_at,
                Response.submitted_at,
            )
            .join(Episode, Episode.patient_id == Patient.id)
            .join(Invitation, Invitation.episode_id == Episode.id)
            .join(Response, Response.invitation_id == Invitation.id)
            .outerjoin(Appointment, Appointment.id == Invitation.appointment_id)
            .where(Invitation.slot_key.startswith(HISTORY_SLOT))
        ).all()
    assert len(rows) == 4 * 16 * 3
    sessions: dict[str, set[tuple[int, dt.time]]] = {}
    for patient, instrument, sent, starts, answered in rows:
        assert patient is not None and sent is not None and answered is not None
        sent_local = sent.astimezone(OSLO)
        assert sent < answered < now
        if patient in ("DEMO-P003", "DEMO-P004"):  # the day programme
            when = (0, dt.time(9)) if instrument != "wai_sr" else (4, dt.time(13))
            assert (sent_local.weekday(), sent_local.time()) == when, (patient, sent_local)
            continue
        assert starts is not None
        local = starts.astimezone(OSLO)
        sessions.setdefault(patient, set()).add((local.weekday(), local.time()))
        if instrument == "wai_sr":  # an hour after the session starts, answered after
            assert sent == starts + dt.timedelta(hours=1)
        else:  # open from 90 hours before, answered before the session
            assert sent <= starts - dt.timedelta(hours=PHQ9_LEAD_HOURS) and answered < starts
            assert not DEFAULT_QUIET_HOURS.contains(sent, OSLO)
    # Each outpatient at one weekday and hour all sixteen weeks; the two never at once.
    assert all(len(slots) == 1 for slots in sessions.values()), sessions
    assert sessions["DEMO-P001"] != sessions["DEMO-P002"]
    assert all(
        day < 5 and dt.time(8) <= hour <= dt.time(15, 15) for ((day, hour),) in sessions.values()
    )
