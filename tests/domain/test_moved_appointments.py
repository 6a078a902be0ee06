"""When a questionnaire the patient holds stays open for its moved appointment
(`domain/moved_appointments.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fit_platform.domain.codes import AppointmentStatus, InvitationState
from fit_platform.domain.moved_appointments import (
    LONGEST_CARRY,
    CarriedOver,
    CarriedReminder,
    carried_over,
    carried_reminder,
)
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
    answers_saved: bool = False,
) -> CarriedOver | None:
    return carried_over(
        rule,
        state,
        sent_at,
        expires_at,
        appointment,
        now,
        min_window=HOUR,
        answers_saved=answers_saved,
    )


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


def test_a_started_questionnaire_is_kept_for_a_session_moved_by_a_few_days() -> None:
    """The patient saved the first page on Wednesday afternoon; Thursday's session moved to
    Monday 09:00. The new time's questionnaire would leave on Sunday 09:00: the started one
    stays open until Monday's session instead, and the patient is reminded on Sunday."""
    moved = moved_to(oslo(7, 9))
    carried = keep(BEFORE, moved, oslo(2, 15), state=InvitationState.OPENED, answers_saved=True)
    assert carried == CarriedOver(
        appointment_slot_key(moved, Trigger.BEFORE_APPOINTMENT), oslo(7, 9), oslo(6, 9)
    )


def test_a_started_questionnaire_is_asked_afresh_for_a_session_postponed_a_week() -> None:
    """Sent on the 2nd; the session moved from the 3rd to the 10th: the new window would
    close eight days after the send, past the shortest recall period of a week."""
    moved = moved_to(oslo(10, 9))
    assert oslo(10, 9) - SENT_AT > LONGEST_CARRY
    assert keep(BEFORE, moved, oslo(2, 15), answers_saved=True) is None
    assert keep(BEFORE, moved_to(oslo(9, 9)), oslo(2, 15), answers_saved=True) is not None


def test_a_started_alliance_rating_is_not_carried_to_a_session_that_has_not_taken_place() -> None:
    """Sent after a 13:00 session today; the session is corrected to next Monday: the rating
    is of a session that has not happened yet, so it is withdrawn."""
    moved = moved_to(oslo(7, 13))
    carried = keep(AFTER, moved, oslo(2, 16), sent_at=oslo(2, 14), answers_saved=True)
    assert carried is None


def test_the_reminder_of_a_questionnaire_carried_ahead_goes_when_the_new_one_would_have() -> (
    None
):  # fmt: skip
    ahead = CarriedOver("k", oslo(7, 9), remind_at=oslo(6, 9))
    now = oslo(2, 15)
    # Its own reminder had not gone yet (or there was none): it goes on Sunday instead.
    assert carried_reminder(oslo(3, 9), ahead, now) == CarriedReminder(oslo(6, 9))
    assert carried_reminder(None, ahead, now) == CarriedReminder(oslo(6, 9))
    # It had gone already: one more on Sunday, in place of the new time's questionnaire.
    assert carried_reminder(oslo(2, 12), ahead, now) == CarriedReminder(oslo(6, 9), again=True)
    # Carried without moving ahead: the reminder is kept while it comes before the new end.
    kept = CarriedOver("k", oslo(3, 10))
    assert carried_reminder(oslo(3, 8), kept, now) == CarriedReminder(oslo(3, 8))
    assert carried_reminder(oslo(3, 11), kept, now) == CarriedReminder(None)


def test_a_reminder_dropped_for_a_short_window_comes_back_when_the_move_lengthens_it() -> None:
    """Sent at 09:00 for tomorrow's 09:00 with a reminder 26 hours later: tomorrow at 11:00,
    after the session, so none was planned. Moved to tomorrow's 15:00 (due already: carried),
    the window now leaves room for it."""
    reminding = ScheduleRule(
        "phq9",
        Trigger.BEFORE_APPOINTMENT,
        offset_hours=24,
        window_hours=72,
        reminder_after_hours=26,
    )
    now = oslo(2, 15)
    carried = keep(reminding, moved_to(oslo(3, 15)), now)
    assert carried is not None and carried.rule_reminder == oslo(3, 11)
    assert carried_reminder(None, carried, now) == CarriedReminder(oslo(3, 11))
    # Moved to 10:00 instead, the window still closes before it.
    shorter = keep(reminding, moved_to(oslo(3, 10)), now)
    assert shorter is not None and carried_reminder(None, shorter, now) == CarriedReminder(None)


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
    st.booleans(),
)
def test_a_kept_questionnaire_is_one_the_moved_session_would_be_sent_now_and_can_be_answered(
    move: timedelta, since_send: timedelta, rule: ScheduleRule, answers_saved: bool
) -> None:
    """Whatever the move: a kept questionnaire is one whose new time's questionnaire would be
    due already, or one the patient started, carried ahead to a session at most a week from
    its send and reminded when the new one would have left; it stays open at least the
    least time to answer, and a measure before a session never stays open past the session."""
    sent_at = oslo(2, 9)
    now = sent_at + since_send
    moved = moved_to(oslo(3, 9) + move)
    carried = keep(rule, moved, now, sent_at=sent_at, answers_saved=answers_saved)
    if carried is None:
        return
    offset = timedelta(hours=rule.offset_hours)
    due = (
        moved.start + offset if rule.trigger is Trigger.AFTER_APPOINTMENT else moved.start - offset
    )
    if carried.remind_at is None:
        assert due <= now
    else:
        assert answers_saved and rule.trigger is Trigger.BEFORE_APPOINTMENT
        assert carried.remind_at == due > now
        assert carried.expires_at - sent_at <= LONGEST_CARRY
    assert carried.expires_at - now >= HOUR
    if rule.trigger is Trigger.BEFORE_APPOINTMENT:
        assert carried.expires_at <= moved.start
    assert carried.slot_key == appointment_slot_key(moved, rule.trigger)
