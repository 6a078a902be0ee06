"""When a questionnaire the patient holds stays open for its moved appointment
(`domain/moved_appointments.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fit_platform.domain.codes import AppointmentStatus, InvitationState
from fit_platform.domain.moved_appointments import CarriedOver, carried_over
from fit_platform.domain.schedule_model import (
    AppointmentSnapshot,
    ScheduleRule,
    Trigger,
    appointment_slot_key,
)

OSLO = ZoneInfo("Europe/Oslo")
HOUR = timedelta(hours=1)
BEFORE = ScheduleRule("phq9", Trigger.BEFORE_APPOINTMENT, offset_hours=24, window_hours=72)
AFTER = ScheduleRule("srs", Trigger.AFTER_APPOINTMENT, offset_hours=1, window_hours=48)


def oslo(d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, 12, d, h, mi, tzinfo=OSLO).astimezone(UTC)


SENT_AT = oslo(2, 9)  # the questionnaire left at 09:00 for tomorrow's 09:00 session
OLD_EXPIRY = oslo(3, 9)  # and was open until that session


def moved_to(start: datetime, status: AppointmentStatus = AppointmentStatus.PLANNED) -> (
    AppointmentSnapshot
):  # fmt: skip
    return AppointmentSnapshot(7, start, status)


def keep(
    rule: ScheduleRule,
    appointment: AppointmentSnapshot,
    now: datetime,
    *,
    state: InvitationState = InvitationState.SENT,
    sent_at: datetime | None = SENT_AT,
    expires_at: datetime = OLD_EXPIRY,
) -> CarriedOver | None:
    return carried_over(rule, state, sent_at, expires_at, appointment, now, min_window=HOUR)


@pytest.mark.parametrize("state", [InvitationState.SENT, InvitationState.OPENED])
def test_a_session_moved_an_hour_keeps_the_questionnaire_the_patient_holds(
    state: InvitationState,
) -> None:
    """Sent at 09:00 for tomorrow's 09:00; moved to 10:00 in the afternoon: the new time's
    questionnaire would be due already, so the one sent stays open, until 10:00."""
    moved = moved_to(oslo(3, 10))
    assert keep(BEFORE, moved, oslo(2, 15), state=state) == CarriedOver(
        appointment_slot_key(moved, Trigger.BEFORE_APPOINTMENT), oslo(3, 10)
    )


def test_a_session_moved_earlier_keeps_it_open_until_the_new_start() -> None:
    assert keep(BEFORE, moved_to(oslo(3, 8)), oslo(2, 15)) == CarriedOver(
        appointment_slot_key(moved_to(oslo(3, 8)), Trigger.BEFORE_APPOINTMENT), oslo(3, 8)
    )


def test_the_window_counts_from_when_it_left_not_from_the_new_time() -> None:
    """A window of 30 hours from the send at 09:00 ends at 15:00 tomorrow: a session moved
    from 09:00 to 20:00 tomorrow keeps the questionnaire open until 15:00, not 20:00."""
    short = ScheduleRule("phq9", Trigger.BEFORE_APPOINTMENT, offset_hours=24, window_hours=30)
    carried = keep(short, moved_to(oslo(3, 20)), oslo(2, 21))
    assert carried is not None and carried.expires_at == oslo(3, 15)
    later = keep(BEFORE, moved_to(oslo(3, 20)), oslo(2, 21))
    assert later is not None and later.expires_at == oslo(3, 20)


def test_a_session_moved_to_next_week_withdraws_it_to_be_sent_before_the_new_time() -> None:
    assert keep(BEFORE, moved_to(oslo(10, 9)), oslo(2, 15)) is None


@pytest.mark.parametrize("state", [InvitationState.SCHEDULED, InvitationState.COMPLETED])
def test_only_a_questionnaire_in_the_patients_hands_is_kept(state: InvitationState) -> None:
    sent_at = None if state is InvitationState.SCHEDULED else oslo(2, 9)
    assert keep(BEFORE, moved_to(oslo(3, 10)), oslo(2, 15), state=state, sent_at=sent_at) is None


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_a_cancelled_or_missed_session_withdraws_it(status: AppointmentStatus) -> None:
    assert keep(BEFORE, moved_to(oslo(3, 10), status), oslo(2, 15)) is None


def test_a_questionnaire_whose_window_has_closed_is_not_opened_again() -> None:
    """Its window closed at 11:00 (the expiry job had not run yet); moved at 12:00."""
    moved = moved_to(oslo(3, 10))
    assert keep(BEFORE, moved, oslo(2, 12), expires_at=oslo(2, 11)) is None


@pytest.mark.parametrize("trigger", [Trigger.FIRST_SESSION, Trigger.LAST_SESSION])
def test_the_first_or_last_sessions_questionnaire_is_not_carried(trigger: Trigger) -> None:
    """Which session is the first or the last can change with the move: withdrawn, and the
    scheduler plans it for whichever session is first or last now."""
    rule = ScheduleRule("goals", trigger, offset_hours=24, window_hours=72)
    assert keep(rule, moved_to(oslo(3, 10)), oslo(2, 15)) is None


def test_too_little_time_left_to_answer_withdraws_it() -> None:
    """Moved to 15:30 today at 15:00: half an hour is less than the least time to answer."""
    assert keep(BEFORE, moved_to(oslo(2, 15, 30)), oslo(2, 15)) is None


def test_an_alliance_questionnaire_follows_a_corrected_session_time() -> None:
    """Sent at 14:00 after a 13:00 session; the session was really at 13:30."""
    moved = moved_to(oslo(2, 13, 30))
    carried = keep(AFTER, moved, oslo(2, 16), sent_at=oslo(2, 14))
    assert carried == CarriedOver(
        appointment_slot_key(moved, Trigger.AFTER_APPOINTMENT), oslo(2, 14) + timedelta(hours=48)
    )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-72, 24 * 14).map(lambda h: timedelta(hours=h)),
    st.integers(0, 72).map(lambda h: timedelta(hours=h)),
    st.sampled_from([BEFORE, AFTER]),
)
def test_a_kept_questionnaire_is_one_the_moved_session_would_be_sent_now_and_can_be_answered(
    move: timedelta, since_send: timedelta, rule: ScheduleRule
) -> None:
    """Whatever the move: a kept questionnaire is one whose new time's questionnaire would be
    due already, it stays open at least the least time to answer, and a measure before a
    session never stays open past the session."""
    sent_at = oslo(2, 9)
    now = sent_at + since_send
    moved = moved_to(oslo(3, 9) + move)
    carried = keep(rule, moved, now, sent_at=sent_at)
    if carried is None:
        return
    offset = timedelta(hours=rule.offset_hours)
    due = (
        moved.start + offset if rule.trigger is Trigger.AFTER_APPOINTMENT else moved.start - offset
    )
    assert due <= now
    assert carried.expires_at - now >= HOUR
    if rule.trigger is Trigger.BEFORE_APPOINTMENT:
        assert carried.expires_at <= moved.start
    assert carried.slot_key == appointment_slot_key(moved, rule.trigger)
