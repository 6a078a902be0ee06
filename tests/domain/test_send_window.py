"""The send-time rule alone: send now, wait for quiet hours to end, or skip with a reason."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, QuietHours
from fit_platform.domain.send_window import (
    SendDecision,
    SkipReason,
    blame_pause,
    blame_quiet_hours,
    judge_send,
)

OSLO = ZoneInfo("Europe/Oslo")
HOUR = timedelta(hours=1)


def oslo(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=OSLO).astimezone(UTC)


def test_in_the_daytime_with_time_to_answer_it_goes_at_once() -> None:
    now = oslo(2026, 12, 3, 12)
    assert judge_send(now, now + 2 * HOUR, tz=OSLO) == SendDecision(now)


def test_at_0620_it_waits_until_0800() -> None:
    decision = judge_send(oslo(2026, 12, 3, 6, 20), oslo(2026, 12, 3, 9, 30), tz=OSLO)
    assert decision == SendDecision(oslo(2026, 12, 3, 8))
    assert decision.waits(oslo(2026, 12, 3, 6, 20))


def test_at_2230_it_waits_until_0800_the_next_morning() -> None:
    decision = judge_send(oslo(2026, 12, 3, 22, 30), oslo(2026, 12, 5, 10), tz=OSLO)
    assert decision == SendDecision(oslo(2026, 12, 4, 8))


def test_a_window_closing_before_quiet_hours_end_is_skipped_for_quiet_hours() -> None:
    decision = judge_send(oslo(2026, 12, 3, 6, 20), oslo(2026, 12, 3, 7, 45), tz=OSLO)
    assert decision.skip is SkipReason.QUIET_HOURS


def test_quiet_hours_leaving_less_than_the_minimum_is_a_quiet_hours_skip() -> None:
    decision = judge_send(oslo(2026, 12, 3, 6), oslo(2026, 12, 3, 8, 30), tz=OSLO)
    assert decision.skip is SkipReason.QUIET_HOURS


def test_too_little_time_in_the_daytime_is_skipped_for_too_little_time() -> None:
    now = oslo(2026, 12, 3, 12, 30)
    assert judge_send(now, now + timedelta(minutes=30), tz=OSLO).skip is SkipReason.TOO_LITTLE_TIME
    assert judge_send(
        now, now + timedelta(minutes=30), min_window=timedelta(minutes=20), tz=OSLO
    ) == (SendDecision(now))


@pytest.mark.parametrize(
    ("night", "morning_utc"),
    [
        (oslo(2026, 3, 28, 23), datetime(2026, 3, 29, 6, tzinfo=UTC)),  # clocks go forward
        (oslo(2026, 10, 24, 23), datetime(2026, 10, 25, 7, tzinfo=UTC)),  # clocks go back
    ],
)
def test_quiet_hours_end_at_0800_local_time_on_dst_weekends(
    night: datetime, morning_utc: datetime
) -> None:
    assert judge_send(night, night + 24 * HOUR, tz=OSLO) == SendDecision(morning_utc)


def test_a_unit_without_quiet_hours_sends_at_night() -> None:
    now = oslo(2026, 12, 3, 23)
    assert judge_send(now, now + 2 * HOUR, QuietHours(time(0), time(0)), tz=OSLO) == SendDecision(
        now
    )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        judge_send(datetime(2026, 12, 3, 12), oslo(2026, 12, 3, 14), tz=OSLO)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(0, 72 * 60),
    st.integers(0, 180),
)
def test_what_is_not_skipped_leaves_outside_quiet_hours_with_the_minimum_left(
    now: datetime, minutes_left: int, minimum: int
) -> None:
    expires = now + timedelta(minutes=minutes_left)
    decision = judge_send(now, expires, min_window=timedelta(minutes=minimum), tz=OSLO)
    assert decision.send_at >= now
    if decision.skip is None:
        assert not DEFAULT_QUIET_HOURS.contains(decision.send_at, tz=OSLO)
        assert expires - decision.send_at >= timedelta(minutes=minimum)
        assert expires > decision.send_at


def test_a_skip_names_the_pause_when_it_was_due_in_one_and_would_have_gone_then() -> None:
    due, expires = oslo(2026, 12, 3, 20, 59), oslo(2026, 12, 4, 7, 30)
    skipped = judge_send(oslo(2026, 12, 4, 0, 5), expires, tz=OSLO)
    assert skipped.skip is SkipReason.QUIET_HOURS
    blamed = blame_pause(skipped, due, expires, paused_when_due=True, tz=OSLO)
    assert blamed.skip is SkipReason.AFTER_PAUSE
    assert blame_pause(skipped, due, expires, paused_when_due=False, tz=OSLO) == skipped


def test_a_skip_keeps_its_reason_when_it_would_have_missed_without_the_pause() -> None:
    # Due at 06:20, answerable until 07:45: quiet hours would have held it anyway.
    due, expires = oslo(2026, 12, 3, 6, 20), oslo(2026, 12, 3, 7, 45)
    skipped = judge_send(oslo(2026, 12, 3, 7), expires, tz=OSLO)
    assert blame_pause(skipped, due, expires, paused_when_due=True, tz=OSLO) == skipped


def test_a_decision_to_send_is_never_blamed_on_a_pause() -> None:
    now = oslo(2026, 12, 4, 9)
    sent = judge_send(now, now + 2 * HOUR, tz=OSLO)
    assert blame_pause(sent, now - HOUR, now + 2 * HOUR, paused_when_due=True, tz=OSLO) == sent


# --- a slot the planning moved out of quiet hours -----------------------------------


def test_a_slot_moved_to_0800_that_had_an_hour_at_0730_missed_because_of_quiet_hours() -> None:
    planned, moved, closes = (
        oslo(2026, 12, 3, 7, 30),
        oslo(2026, 12, 3, 8),
        oslo(2026, 12, 3, 8, 30),
    )
    decision = judge_send(moved, closes, tz=OSLO)
    assert decision.skip is SkipReason.TOO_LITTLE_TIME  # what the send time alone can see
    assert blame_quiet_hours(decision, planned, closes) == SendDecision(
        moved, SkipReason.QUIET_HOURS
    )


def test_too_little_time_even_at_the_planned_time_stays_too_little_time() -> None:
    moved, closes = oslo(2026, 12, 3, 8), oslo(2026, 12, 3, 8, 30)
    decision = judge_send(moved, closes, tz=OSLO)
    # 45 minutes from 07:45 (a later rule, or a session booked then), under the hour.
    assert blame_quiet_hours(decision, oslo(2026, 12, 3, 7, 45), closes) == decision


def test_a_slot_not_moved_or_not_skipped_is_left_as_it_is() -> None:
    now = oslo(2026, 12, 3, 12, 30)
    short = judge_send(now, now + timedelta(minutes=30), tz=OSLO)
    assert blame_quiet_hours(short, now, now + timedelta(minutes=30)) == short
    sent = judge_send(now, now + 2 * HOUR, tz=OSLO)
    assert blame_quiet_hours(sent, now - HOUR, now + 2 * HOUR) == sent
