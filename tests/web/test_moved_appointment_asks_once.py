"""A session is asked about once, and asked again when it was never answered.

- The patient answers the questionnaire for tomorrow's session; the therapist then moves the
  session: the answer stands for it, the page says so, and no second SMS is sent for it, while
  the next session still gets its own.
- A questionnaire skipped for too little time is asked again before the new time, and so is a
  session moved away and back, or cancelled by mistake and planned again.
- A questionnaire the patient holds (sent, not answered) stays open when the session moves by
  less than the rule's offset: the same link works, with the answers saved so far, and no
  second SMS is sent; moved further, it is withdrawn and sent again before the new time.
- One the patient has started stays open, with the answers saved, for a session moved by a
  few days, and the patient is reminded when the new time's questionnaire would have been
  sent; for a session postponed by a week it is withdrawn and asked afresh.

Through the seam: the therapist books on the web page, the scheduler plans and the dispatcher
sends to the real loopback SMS endpoint, the patient answers from the link in the SMS, the
therapist moves the session on the web page, and the scheduler runs again at the times the
old code sent the duplicate."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Invitation
from fit_platform.domain.codes import Channel, InvitationState
from fit_platform.domain.instruments import default_instruments
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from fit_platform.services.answering import page_plan
from fit_platform.services.invitations import enqueue_due
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient
from tests.support.scheduling import DAY_BEFORE, OSLO, Clock, RuleSpec, give_plan, oslo

__all__ = ["sms_endpoint"]

KEPT_OPEN = (
    "The questionnaire the patient already has stays open for the new time: the same link"
    " still works, and no new message is sent."
)
ALREADY_REPLIED = (
    "The patient has already replied to the questionnaire for this appointment: the reply"
    " stands, and it is not sent again for the new time."
)


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


class Clinic:
    """The therapist's browser and the scheduler, on one clock the test moves."""

    def __init__(
        self,
        client: FlaskClient,
        sms: HttpSmsChannel,
        start: dt.datetime,
        rule: RuleSpec = DAY_BEFORE,
    ) -> None:
        self.client = client
        self.db: Database = client.application.extensions["fit_db"]
        self.clock = Clock(start)
        client.application.extensions["fit_clock"] = self.clock
        world = make_world(self.db)
        give_plan(self.db, world.episode_id, rule)
        self.username = world.therapist_username
        log_in(client, self.username, PASSWORD)
        self.url = f"/clinician/episodes/{world.episode_id}/appointments"
        self.dispatcher = Dispatcher(
            self.db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=self.clock
        )

    def page(self) -> str:
        response = self.client.get(self.url + "?lang=en")
        if response.status_code == 302:  # the session timed out while the clock moved on
            log_in(self.client, self.username, PASSWORD)
            response = self.client.get(self.url + "?lang=en")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def book(self, day: str, time: str) -> None:
        page = self.page()
        booked = self.client.post(
            self.url, data={"csrf_token": csrf_token(page), "day": day, "time": time}
        )
        assert booked.status_code == 302

    def move(self, appointment_id: str, day: str, time: str) -> str:
        page = self.page()
        moved = self.client.post(
            f"/clinician/appointments/{appointment_id}/move?lang=en",
            data={"csrf_token": csrf_token(page), "move-day": day, "move-time": time},
        )
        assert moved.status_code == 302
        return self.page()

    def tick_at(self, when: dt.datetime) -> None:
        self.clock.now = when
        run_once(self.db, self.dispatcher, clock=self.clock)


def _booked_and_sent(client: FlaskClient, sms: HttpSmsChannel) -> tuple[Clinic, str]:
    """At 08:30 the therapist books tomorrow 09:00; its PHQ-9 (24 hours before) is sent at
    09:05. Returns the clinic and the appointment's id."""
    clinic = Clinic(client, sms, oslo(2026, 12, 2, 8, 30))
    clinic.book("2026-12-03", "09:00")
    clinic.tick_at(oslo(2026, 12, 2, 9, 5))
    [appointment_id] = _appointment_ids(clinic.page())
    return clinic, appointment_id


def _tokens(sms_endpoint: SmsEndpoint) -> list[str]:
    found = [re.search(r"https://x/p/(\S+)", m["text"]) for m in sms_endpoint.accepted]
    return [t.group(1).rstrip(".") for t in found if t is not None]


def _appointment_ids(page: str) -> list[str]:
    return re.findall(r'action="/clinician/appointments/(\d+)/move"', page)


@pytest.mark.parametrize(
    ("new_day", "new_time", "ticks"),
    [
        # Two hours later the same morning (a correction): due at 11:00 today.
        ("2026-12-03", "11:00", [oslo(2026, 12, 2, 11, 5), oslo(2026, 12, 2, 15, 5)]),
        # Postponed ten days: the answer is older than the scheduler's usual look back.
        ("2026-12-13", "09:00", [oslo(2026, 12, 12, 9, 5), oslo(2026, 12, 12, 15, 5)]),
    ],
    ids=["same-day", "ten-days-later"],
)
def test_an_answered_session_that_is_moved_is_not_asked_about_again(
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    new_day: str,
    new_time: str,
    ticks: list[dt.datetime],
) -> None:
    clinic = Clinic(client, sms, oslo(2026, 12, 2, 8, 30))
    clinic.book("2026-12-03", "09:00")  # its PHQ-9 goes 24 hours before
    clinic.tick_at(oslo(2026, 12, 2, 9, 5))
    [token] = _tokens(sms_endpoint)

    clinic.clock.now = oslo(2026, 12, 2, 9, 30)
    patient = Patient(client.application.test_client(), token)
    patient.start()
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302

    [answered] = _appointment_ids(clinic.page())
    after_move = clinic.move(answered, new_day, new_time)
    assert "The appointment is moved." in after_move
    assert ALREADY_REPLIED in after_move
    assert "withdrawn" not in after_move
    # The session after it, on the new day: its PHQ-9 is due at 15:00 the day before.
    clinic.book(new_day, "15:00")

    for when in ticks:
        clinic.tick_at(when)
    tokens = _tokens(sms_endpoint)
    assert len(tokens) == 2, "one SMS per session: none again for the moved one"
    assert tokens[0] == token


def test_a_session_whose_questionnaire_was_skipped_is_asked_before_its_new_time(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    # Booked at 08:30 for 09:00: half an hour is too little to answer, so it is skipped.
    clinic = Clinic(client, sms, oslo(2026, 12, 2, 8, 30))
    clinic.book("2026-12-02", "09:00")
    clinic.tick_at(oslo(2026, 12, 2, 8, 31))
    assert _tokens(sms_endpoint) == []
    assert "Not sent: too little time left to answer" in clinic.page()

    [appointment_id] = _appointment_ids(clinic.page())
    after_move = clinic.move(appointment_id, "2026-12-04", "09:00")
    assert ALREADY_REPLIED not in after_move
    clinic.tick_at(oslo(2026, 12, 3, 9, 5))
    assert len(_tokens(sms_endpoint)) == 1


def test_a_session_moved_away_and_back_keeps_a_questionnaire_open(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """Moved from 09:00 to 11:00 (its questionnaire is not due yet: withdrawn, and sent again
    at 11:00) and back to 09:00 (due already: the questionnaire the patient holds now stays
    open for it). The first, withdrawn questionnaire no longer holds the 09:00 slot."""
    clinic, appointment_id = _booked_and_sent(client, sms)

    clinic.clock.now = oslo(2026, 12, 2, 9, 10)
    assert "withdrawn" in clinic.move(appointment_id, "2026-12-03", "11:00")
    clinic.tick_at(oslo(2026, 12, 2, 11, 5))
    assert len(_tokens(sms_endpoint)) == 2

    clinic.clock.now = oslo(2026, 12, 2, 11, 10)
    assert KEPT_OPEN in clinic.move(appointment_id, "2026-12-03", "09:00")
    clinic.tick_at(oslo(2026, 12, 2, 11, 15))
    first, second = _tokens(sms_endpoint)
    patient = client.application.test_client()
    assert "your appointment was moved" in patient.get(f"/p/{first}?lang=en").get_data(as_text=True)
    landing = patient.get(f"/p/{second}?lang=en").get_data(as_text=True)
    # Open until the session at 09:00, no longer until 11:00.
    assert "Start" in landing and "9:00" in landing and "11:00" not in landing


def test_a_session_cancelled_by_mistake_and_planned_again_gets_its_questionnaire_again(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    clinic, appointment_id = _booked_and_sent(client, sms)
    for status in ("cancelled", "planned"):
        page = clinic.page()
        changed = client.post(
            f"/clinician/appointments/{appointment_id}/status?lang=en",
            data={"csrf_token": csrf_token(page), "status": status},
        )
        assert changed.status_code == 302
    clinic.tick_at(oslo(2026, 12, 2, 9, 20))
    tokens = _tokens(sms_endpoint)
    assert len(tokens) == 2, "the session planned again is asked about again"
    patient = client.application.test_client()
    assert "Start" in patient.get(f"/p/{tokens[-1]}?lang=en").get_data(as_text=True)


def test_a_questionnaire_half_answered_stays_open_when_the_session_moves_an_hour(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """The patient has saved the first page when the therapist moves tomorrow's 09:00 to
    10:00: no second SMS, the same link opens with the saved answers, and the answers sent
    from it count for the moved session."""
    clinic, appointment_id, token = _first_page_saved(client, sms_endpoint, sms)

    clinic.clock.now = oslo(2026, 12, 2, 15, 0)
    after_move = clinic.move(appointment_id, "2026-12-03", "10:00")
    assert KEPT_OPEN in after_move and "withdrawn" not in after_move
    for when in (oslo(2026, 12, 2, 15, 5), oslo(2026, 12, 3, 8, 5)):
        clinic.tick_at(when)
    assert _tokens(sms_endpoint) == [token], "no second SMS for the moved session"

    clinic.clock.now = oslo(2026, 12, 3, 9, 30)  # after the old time, before the new one
    _finishes_with_the_answers_saved(client, clinic, token)


KEPT_AHEAD = (
    "The patient has started answering the questionnaire: it stays open for the new time with"
    " the answers saved, and the patient is reminded when it would have been sent."
)


def _first_page_saved(client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel) -> (
    tuple[Clinic, str, str]
):  # fmt: skip
    """Booked for Thursday 09:00 and sent on Wednesday at 09:05; the patient saves the first
    page at 09:30. Returns the clinic, the appointment's id and the link's token."""
    clinic, appointment_id = _booked_and_sent(client, sms)
    [token] = _tokens(sms_endpoint)
    clinic.clock.now = oslo(2026, 12, 2, 9, 30)
    patient = Patient(client.application.test_client(), token)
    patient.start()
    assert patient.answer_page(1, codes_for_page("phq9", 1, "2")).status_code == 302
    return clinic, appointment_id, token


def _finishes_with_the_answers_saved(client: FlaskClient, clinic: Clinic, token: str) -> None:
    """The patient opens `token` again: the first page shows the answers saved before the
    move, and the questionnaire sent from it counts for the moved session."""
    again = Patient(client.application.test_client(), token)
    again.start()
    page_one = again.client.get("/p/answer/1?lang=en").get_data(as_text=True)
    saved = re.findall(r'<input checked[^>]*value="2"', page_one)
    assert len(saved) == len(codes_for_page("phq9", 1, "2")), "the saved answers are kept"
    again.answer_all("phq9", "0")
    assert again.finish().status_code == 302
    assert "Answered" in clinic.page()


def test_a_started_questionnaire_stays_open_for_a_session_moved_by_a_few_days(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """Thursday's session moved to Monday 09:00 on Wednesday afternoon: Monday's questionnaire
    would not leave before Sunday 09:00, but the patient has saved the first page. The link
    stays open past Thursday with those answers, no new questionnaire is sent, and on Sunday
    a reminder goes instead; the answers from it count for Monday's session."""
    clinic, appointment_id, token = _first_page_saved(client, sms_endpoint, sms)

    clinic.clock.now = oslo(2026, 12, 2, 15, 0)
    after_move = clinic.move(appointment_id, "2026-12-07", "09:00")
    assert KEPT_AHEAD in after_move and "withdrawn" not in after_move
    assert KEPT_OPEN not in after_move
    for when in (oslo(2026, 12, 2, 15, 5), oslo(2026, 12, 3, 9, 5), oslo(2026, 12, 5, 9, 5)):
        clinic.tick_at(when)
    assert _tokens(sms_endpoint) == [token], "nothing more before Sunday"
    landing = client.application.test_client().get(f"/p/{token}?lang=en")
    assert "Continue" in landing.get_data(as_text=True), "open after Thursday's old time"

    clinic.tick_at(oslo(2026, 12, 6, 9, 5))
    assert len(sms_endpoint.accepted) == 2
    reminder = sms_endpoint.accepted[-1]["text"]
    assert "Påminnelse" in reminder, reminder
    [_, reminded] = _tokens(sms_endpoint)
    clinic.tick_at(oslo(2026, 12, 7, 8, 5))
    assert len(sms_endpoint.accepted) == 2, "one reminder, no new questionnaire"

    clinic.clock.now = oslo(2026, 12, 6, 12, 0)
    _finishes_with_the_answers_saved(client, clinic, reminded)


def test_a_started_questionnaire_reminded_before_the_move_is_reminded_again_at_the_new_time(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """With a reminder two hours after the send, the patient had it at 11:05 on Wednesday;
    the session then moved to Monday. Sunday's reminder stands in for Monday's questionnaire,
    which is not sent: an invitation's reminders were once only, and it was swallowed."""
    with_reminder = RuleSpec("phq9", DAY_BEFORE.trigger, offset_hours=24, reminder_after_hours=2)
    clinic = Clinic(client, sms, oslo(2026, 12, 2, 8, 30), with_reminder)
    clinic.book("2026-12-03", "09:00")
    clinic.tick_at(oslo(2026, 12, 2, 9, 5))
    [appointment_id] = _appointment_ids(clinic.page())
    [token] = _tokens(sms_endpoint)
    clinic.clock.now = oslo(2026, 12, 2, 9, 30)
    patient = Patient(client.application.test_client(), token)
    patient.start()
    assert patient.answer_page(1, codes_for_page("phq9", 1, "2")).status_code == 302
    clinic.tick_at(oslo(2026, 12, 2, 11, 10))
    assert len(sms_endpoint.accepted) == 2, "the first reminder"

    clinic.clock.now = oslo(2026, 12, 2, 15, 0)
    assert KEPT_AHEAD in clinic.move(appointment_id, "2026-12-07", "09:00")
    for when in (oslo(2026, 12, 3, 9, 5), oslo(2026, 12, 6, 9, 5), oslo(2026, 12, 7, 8, 5)):
        clinic.tick_at(when)
    texts = [m["text"] for m in sms_endpoint.accepted]
    assert len(texts) == 3 and "Påminnelse" in texts[1] and "Påminnelse" in texts[2], texts
    [*_, reminded] = _tokens(sms_endpoint)
    _finishes_with_the_answers_saved(client, clinic, reminded)


def test_a_started_questionnaire_is_asked_afresh_for_a_session_postponed_a_week(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """Thursday's session postponed to the next Thursday: answers given this Wednesday would
    describe a time mostly before the period the questionnaire asks about then. The link
    says the appointment was moved, and a new questionnaire leaves the day before."""
    clinic, appointment_id, token = _first_page_saved(client, sms_endpoint, sms)

    clinic.clock.now = oslo(2026, 12, 2, 15, 0)
    after_move = clinic.move(appointment_id, "2026-12-10", "09:00")
    assert "withdrawn" in after_move and KEPT_AHEAD not in after_move
    patient = client.application.test_client()
    assert "your appointment was moved" in patient.get(f"/p/{token}?lang=en").get_data(as_text=True)
    clinic.tick_at(oslo(2026, 12, 9, 9, 5))
    tokens = _tokens(sms_endpoint)
    assert len(tokens) == 2
    assert "Start" in patient.get(f"/p/{tokens[-1]}?lang=en").get_data(as_text=True)


def codes_for_page(instrument_id: str, page: int, value: str) -> dict[str, str]:
    plan = page_plan(default_instruments()[instrument_id])
    return dict.fromkeys(plan[page - 1], value)


def test_a_questionnaire_planned_from_a_time_read_just_before_a_move_is_not_sent(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """A scheduler run read the session's old time, the therapist's move committed, then the
    run planned the old time's questionnaire: it is newer than the move, so the tick's own
    check of changed appointments does not see it. The dispatcher does: the questionnaire's
    slot names a time the appointment no longer has, so it is withdrawn, not sent."""
    clinic = Clinic(client, sms, oslo(2026, 12, 2, 8, 30))
    clinic.book("2026-12-03", "09:00")
    enqueue_due(clinic.db, oslo(2026, 12, 2, 9, 5), zone=OSLO)
    with clinic.db.transaction() as session:
        invitation = session.scalars(select(Invitation)).one()
        appointment = session.get_one(Appointment, invitation.appointment_id)
        appointment.starts_at = oslo(2026, 12, 3, 11)
        session.flush()
        # As if committed just before the run wrote the invitation.
        session.execute(
            update(Appointment)
            .where(Appointment.id == appointment.id)
            .values(updated_at=invitation.created_at - dt.timedelta(minutes=1))
        )
    clinic.tick_at(oslo(2026, 12, 2, 9, 6))
    assert _tokens(sms_endpoint) == []
    with clinic.db.session() as session:
        stale = session.scalars(select(Invitation)).one()
        assert (stale.state, stale.non_response_reason) == (
            InvitationState.CANCELLED,
            "appointment_changed",
        )
    clinic.tick_at(oslo(2026, 12, 2, 11, 5))  # the new time's questionnaire goes as planned
    assert len(_tokens(sms_endpoint)) == 1
