"""Messages respect the clock, through the seam: the therapist books on the appointments
page, the scheduler's jobs run at a fixed Oslo time, the real loopback SMS endpoint shows
what reached the patient, and the therapist's page shows why something was not sent.

Every time is fixed (early December 2026, Oslo); nothing here reads the wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Invitation, OutboxMessage
from fit_platform.domain.codes import (
    Channel,
    InvitationState,
    MessageKind,
    OutboxState,
    Role,
    ScheduleTrigger,
)
from fit_platform.messaging.dispatcher import Dispatcher, DispatcherSettings
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import (
    PASSWORD,
    World,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient
from tests.support.scheduling import DAY_BEFORE, Clock, RuleSpec, give_plan, oslo

__all__ = ["sms_endpoint"]


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def a_patient_asked_the_day_before(client: FlaskClient) -> tuple[World, str]:
    """A therapist logged in, with a patient whose plan asks for a questionnaire 24 hours
    before each appointment (answer window: until the session starts)."""
    db = _db(client)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    world = make_world(db, unit=unit, therapist=therapist)
    give_plan(db, world.episode_id, DAY_BEFORE)
    log_in(client, therapist.username, PASSWORD)
    return world, f"/clinician/episodes/{world.episode_id}/appointments"


def book(client: FlaskClient, url: str, day: str, time: str) -> None:
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), "day": day, "time": time})
    assert response.status_code == 302


def clock_tick(db: Database, sms: HttpSmsChannel, at: dt.datetime) -> None:
    """Every scheduler job once at `at`, the dispatcher included."""
    clock = Clock(at)
    dispatcher = Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)
    run_once(db, dispatcher, clock=clock)


def invitations(db: Database) -> list[Invitation]:
    with db.session() as session:
        return list(session.query(Invitation).order_by(Invitation.id))


def test_an_appointment_booked_at_0620_for_0930_is_asked_about_at_0800_not_before(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    _, url = a_patient_asked_the_day_before(client)
    book(client, url, "2026-12-03", "09:30")
    clock_tick(db, sms, oslo(2026, 12, 3, 6, 25))
    clock_tick(db, sms, oslo(2026, 12, 3, 7, 59))
    assert sms_endpoint.accepted == []
    [invitation] = invitations(db)
    assert invitation.state is InvitationState.SCHEDULED
    assert invitation.due_at == oslo(2026, 12, 3, 8)
    clock_tick(db, sms, oslo(2026, 12, 3, 8))
    assert len(sms_endpoint.accepted) == 1
    assert invitations(db)[0].state is InvitationState.SENT


def test_an_overdue_invitation_found_at_2230_waits_until_0800(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    _, url = a_patient_asked_the_day_before(client)
    # Due the evening before at 20:00; the clock was down and first runs at 22:30.
    book(client, url, "2026-12-04", "20:00")
    clock_tick(db, sms, oslo(2026, 12, 3, 22, 30))
    clock_tick(db, sms, oslo(2026, 12, 4, 7, 55))
    assert sms_endpoint.accepted == []
    clock_tick(db, sms, oslo(2026, 12, 4, 8))
    assert len(sms_endpoint.accepted) == 1


def test_a_catch_up_after_downtime_is_held_by_the_dispatcher_without_counting_an_attempt(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    _, url = a_patient_asked_the_day_before(client)
    book(client, url, "2026-12-04", "18:00")
    # Enqueued in the evening for 18:00; the dispatcher was down until 23:10.
    run_once(db, None, clock=Clock(oslo(2026, 12, 3, 18)))
    clock_tick(db, sms, oslo(2026, 12, 3, 23, 10))
    assert sms_endpoint.accepted == []
    with db.session() as session:
        [message] = session.query(OutboxMessage).all()
        assert (message.state, message.attempts) == (OutboxState.QUEUED, 0)
        assert message.next_attempt_at == oslo(2026, 12, 4, 8)
    clock_tick(db, sms, oslo(2026, 12, 4, 8))
    assert len(sms_endpoint.accepted) == 1


def _not_sent_for_quiet_hours(
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    url: str,
    first_tick: dt.datetime,
) -> str:
    """The scheduler ticks at `first_tick` and at 08:00 on 3 Dec: nothing reaches the patient,
    the one invitation is recorded as not sent for quiet hours, and the appointments page
    (returned, in English) says so."""
    db = _db(client)
    clock_tick(db, sms, first_tick)
    clock_tick(db, sms, oslo(2026, 12, 3, 8))
    assert sms_endpoint.accepted == []
    [invitation] = invitations(db)
    assert invitation.non_response_reason == "not_sent_quiet_hours"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Not sent: after quiet hours, too little time was left to answer" in page
    return page


def test_a_window_closing_before_quiet_hours_end_is_skipped_and_the_therapist_sees_why(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    _, url = a_patient_asked_the_day_before(client)
    book(client, url, "2026-12-03", "07:45")
    clock_tick(db, sms, oslo(2026, 12, 3, 6, 25))
    clock_tick(db, sms, oslo(2026, 12, 3, 8))
    assert sms_endpoint.accepted == []
    [invitation] = invitations(db)
    assert (invitation.state, invitation.non_response_reason) == (
        InvitationState.EXPIRED,
        "not_sent_quiet_hours",
    )
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Not sent: after quiet hours, too little time was left to answer" in page
    page = client.get(url + "?lang=nb").get_data(as_text=True)
    assert "Ikke sendt: etter stilletiden var det for lite tid igjen til å svare" in page


def test_a_morning_session_booked_at_night_says_before_and_after_why_it_gets_no_questionnaire(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """Booked at 03:00 for 08:30 the same morning: its questionnaire's time (24 hours before)
    has passed, and when quiet hours end at 08:00 half an hour is left, less than the least
    time to answer. The schedule page said nothing of it beforehand; the appointments page
    afterwards said "quiet hours until the window closed" (it closes at 08:30) and dated it
    by a time before the appointment was booked."""
    world, url = a_patient_asked_the_day_before(client)
    extensions = client.application.extensions
    extensions["fit_clock"] = lambda: oslo(2026, 12, 3, 3)
    book(client, url, "2026-12-03", "08:30")
    schedule = f"/clinician/episodes/{world.episode_id}/schedule"
    page = client.get(schedule + "?lang=en").get_data(as_text=True)
    assert "Nothing, if nothing changes." in page
    assert "no occasion in that time" not in page
    assert "Not sent, if nothing changes:" in page
    assert (
        "PHQ-9 · before each appointment · after quiet hours, too little time is left to answer"
        " before 3 Dec 2026, 08:30"
    ) in page
    page = client.get(schedule + "?lang=nn").get_data(as_text=True)
    assert "etter stilletida er det for lite tid att til å svare før 3. des. 2026, 08:30" in page

    page = _not_sent_for_quiet_hours(client, sms_endpoint, sms, url, oslo(2026, 12, 3, 3, 1))
    assert (
        "Not sent (its time 02/12/2026, 08:30 had passed when it was planned 03/12/2026, 03:01)"
    ) in page
    assert "was due" not in page
    # Recorded, it leaves the schedule page's list: the appointments page has it now.
    page = client.get(schedule + "?lang=en").get_data(as_text=True)
    assert "Not sent, if nothing changes:" not in page
    assert "no occasion in that time" in page


def test_a_slot_moved_out_of_quiet_hours_names_quiet_hours_not_too_little_time(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """A rule one hour before the session, booked the day before for 08:30: the slot is at
    07:30, in quiet hours, and moves to 08:00, leaving 30 minutes. At 07:30 an hour would have
    been left, so quiet hours are why; the pages read "too little time" before, which sent
    the therapist to a rule that is not too tight."""
    db = _db(client)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    world = make_world(db, unit=unit, therapist=therapist)
    give_plan(db, world.episode_id, RuleSpec("phq9", ScheduleTrigger.BEFORE_APPOINTMENT, 1))
    log_in(client, therapist.username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    client.application.extensions["fit_clock"] = lambda: oslo(2026, 12, 2, 12)
    book(client, url, "2026-12-03", "08:30")
    schedule = client.get(f"/clinician/episodes/{world.episode_id}/schedule?lang=en").get_data(
        as_text=True
    )
    assert "Not sent, if nothing changes:" in schedule
    assert (
        "after quiet hours, too little time is left to answer before 3 Dec 2026, 08:30"
    ) in schedule

    page = _not_sent_for_quiet_hours(client, sms_endpoint, sms, url, oslo(2026, 12, 3, 7, 30))
    assert "Not sent: too little time" not in page


def test_a_dispatcher_catching_up_at_night_skips_what_closes_before_morning(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    _, url = a_patient_asked_the_day_before(client)
    book(client, url, "2026-12-04", "07:30")
    # Found by the clock at 20:59 (it could have gone at once); the dispatcher resumes at 21:10.
    run_once(db, None, clock=Clock(oslo(2026, 12, 3, 20, 59)))
    clock_tick(db, sms, oslo(2026, 12, 3, 21, 10))
    assert sms_endpoint.accepted == []
    [invitation] = invitations(db)
    assert invitation.non_response_reason == "not_sent_quiet_hours"
    page = client.get(url + "?lang=nn").get_data(as_text=True)
    assert "Ikkje sendt: etter stilletida var det for lite tid att til å svare" in page


def test_a_questionnaire_that_missed_because_of_a_pause_says_so_not_quiet_hours(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    _, url = a_patient_asked_the_day_before(client)
    book(client, url, "2026-12-02", "16:00")  # its questionnaire gives the patient a link
    # Asked about on Thursday 20:59, the last minute before quiet hours; answerable until
    # the session on Friday at 07:30.
    book(client, url, "2026-12-04", "07:30")
    clock_tick(db, sms, oslo(2026, 12, 1, 16))
    [message] = sms_endpoint.accepted
    token = message["text"].rsplit("/p/", 1)[1].strip()
    # On Wednesday the patient pauses questionnaires until Thursday (Thursday included).
    extensions = client.application.extensions
    extensions["fit_clock"] = lambda: oslo(2026, 12, 2, 12)
    patient = Patient(client.application.test_client(), token)
    assert patient.post(f"/p/{token}", {"action": "choices"}).status_code == 302
    response = patient.post("/p/choices/pause", {"pause-until": "2026-12-03"})
    assert response.headers["Location"] == "/p/choices/done"
    clock_tick(db, sms, oslo(2026, 12, 3, 20, 59))
    # The pause is over at midnight: what is left of the window is quiet hours only.
    clock_tick(db, sms, oslo(2026, 12, 4, 0, 5))
    clock_tick(db, sms, oslo(2026, 12, 4, 8))
    assert len(sms_endpoint.accepted) == 1
    missed = invitations(db)[-1]
    assert (missed.state, missed.non_response_reason) == (
        InvitationState.EXPIRED,
        "not_sent_after_pause",
    )
    # The therapist, logged in on the pages' own clock, reads why on the appointments page.
    del extensions["fit_clock"]
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Not sent: questionnaires were paused until too little time was left to answer" in page
    assert "after quiet hours" not in page
    page = client.get(url + "?lang=nb").get_data(as_text=True)
    assert "Ikke sendt: spørreskjemaene var satt på pause til det var for lite tid igjen" in page
    page = client.get(url + "?lang=nn").get_data(as_text=True)
    assert "Ikkje sendt: spørjeskjemaa var sette på pause til det var for lite tid att" in page


def test_a_questionnaire_reopened_at_the_end_of_a_pause_with_only_night_left_names_the_pause(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    world, url = a_patient_asked_the_day_before(client)
    _sent, token = make_invitation(db, world, due_at=oslo(2026, 12, 1, 10), window=dt.timedelta(3))
    # Planned for Thursday 20:59, answerable until Friday 06:00, waiting in the outbox.
    waiting, _ = make_invitation(
        db,
        world,
        "gad7",
        due_at=oslo(2026, 12, 3, 20, 59),
        window=dt.timedelta(hours=9, minutes=1),
        state=InvitationState.SCHEDULED,
    )
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"{waiting.id}:invitation:1",
                patient_id=world.patient_id,
                invitation_id=waiting.id,
                kind=MessageKind.INVITATION,
                sequence=1,
                channel=Channel.SMS,
                next_attempt_at=waiting.due_at,
            )
        )
    # On Wednesday the patient pauses until Thursday: the waiting questionnaire is cancelled.
    extensions = client.application.extensions
    extensions["fit_clock"] = lambda: oslo(2026, 12, 2, 12)
    patient = Patient(client.application.test_client(), token)
    patient.post(f"/p/{token}", {"action": "choices"})
    patient.post("/p/choices/pause", {"pause-until": "2026-12-03"})
    assert invitations(db)[1].state is InvitationState.CANCELLED
    # Just after midnight the clock ends the pause and reopens it; only the night is left.
    clock_tick(db, sms, oslo(2026, 12, 4, 0, 5))
    assert sms_endpoint.accepted == []
    reopened = invitations(db)[1]
    assert (reopened.state, reopened.non_response_reason) == (
        InvitationState.EXPIRED,
        "not_sent_after_pause",
    )
    del extensions["fit_clock"]
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Not sent: questionnaires were paused until too little time was left to answer" in page


def test_an_appointment_booked_half_an_hour_ahead_is_not_asked_about(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    _, url = a_patient_asked_the_day_before(client)
    book(client, url, "2026-12-03", "13:00")
    clock_tick(db, sms, oslo(2026, 12, 3, 12, 30))
    assert sms_endpoint.accepted == []
    [invitation] = invitations(db)
    assert invitation.non_response_reason == "not_sent_too_little_time"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Not sent: too little time left to answer" in page


def test_the_minimum_time_to_answer_is_the_configured_one(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    _, url = a_patient_asked_the_day_before(client)
    book(client, url, "2026-12-03", "13:00")
    clock, twenty_minutes = Clock(oslo(2026, 12, 3, 12, 30)), dt.timedelta(minutes=20)
    dispatcher = Dispatcher(
        db,
        {Channel.SMS: sms},
        lambda t: f"https://x/p/{t}",
        DispatcherSettings(min_answer_window=twenty_minutes),
        clock,
    )
    run_once(db, dispatcher, clock=clock, min_window=twenty_minutes)
    assert len(sms_endpoint.accepted) == 1
