from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fit_platform.domain.codes import ScheduleTrigger
from fit_platform.domain.quiet_hours import QuietHours
from fit_platform.domain.schedule_model import ScheduleRule
from fit_platform.domain.schedule_preview import (
    ExampleCourse,
    LateSend,
    example_course,
    late_send,
    preview_invitations,
    sent_at_registration,
)

OSLO = ZoneInfo("Europe/Oslo")  # the default FIT_TIMEZONE, given as the domain asks


def _nine(day: dt.date) -> dt.datetime:
    """09:00 Oslo on `day`: registered in the morning, before any 10:00 send."""
    return dt.datetime.combine(day, dt.time(9), tzinfo=OSLO)


def _local(at: dt.datetime) -> tuple[dt.date, dt.time]:
    local = at.astimezone(OSLO)
    return local.date(), local.time()


def test_a_rule_before_each_appointment_gives_one_invitation_a_day_before_each_of_six() -> None:
    course = example_course(_nine(dt.date(2026, 12, 7)), tz=OSLO)  # a Monday
    rule = ScheduleRule("phq9", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=24)
    sends = preview_invitations([rule], course, tz=OSLO)
    assert [_local(s.send_at) for s in sends] == [
        (dt.date(2026, 12, 13) + dt.timedelta(weeks=n), dt.time(10)) for n in range(6)
    ]
    # Answers before a session are useful until it starts: the window closes then.
    assert all(s.expires_at - s.send_at == dt.timedelta(hours=24) for s in sends)


def test_read_on_a_weekend_the_example_sessions_fall_on_mondays_not_weekends() -> None:
    """Read on Saturday 5 December, the six weekly example sessions were all Saturdays, the
    26th (Boxing Day) among them, for a clinic open on weekdays."""
    for day in (5, 6):  # Saturday, Sunday
        course = example_course(_nine(dt.date(2026, 12, day)), tz=OSLO)
        days = [_local(at)[0] for at in course.appointment_times()]
        assert days[0] == dt.date(2026, 12, 14) and {d.weekday() for d in days} == {0}
    # A weekday a week on is kept as it is.
    friday = example_course(_nine(dt.date(2026, 12, 11)), tz=OSLO)
    assert _local(friday.first_appointment) == (dt.date(2026, 12, 18), dt.time(10))


def test_weekly_appointments_keep_their_local_time_across_the_change_to_winter_time() -> None:
    # First appointment 19 October 2026, 10:00; clocks go back on 25 October.
    course = example_course(_nine(dt.date(2026, 10, 12)), tz=OSLO)
    rule = ScheduleRule("phq9", ScheduleTrigger.AFTER_APPOINTMENT, offset_hours=1)
    sends = preview_invitations([rule], course, tz=OSLO)
    assert [_local(s.send_at)[1] for s in sends] == [dt.time(11)] * 6
    assert sends[1].send_at - sends[0].send_at == dt.timedelta(weeks=1, hours=1)


def test_first_and_last_session_rules_send_once_and_reminders_respect_quiet_hours() -> None:
    course = example_course(_nine(dt.date(2026, 12, 7)), tz=OSLO)
    rules = [
        ScheduleRule("core10", ScheduleTrigger.FIRST_SESSION, offset_hours=48),
        ScheduleRule(
            "wai_sr",
            ScheduleTrigger.LAST_SESSION,
            offset_hours=48,
            reminder_after_hours=12,
        ),
    ]
    sends = preview_invitations(rules, course, quiet=QuietHours(dt.time(21), dt.time(8)), tz=OSLO)
    assert [(s.instrument_id, _local(s.send_at)[0]) for s in sends] == [
        ("core10", dt.date(2026, 12, 12)),
        ("wai_sr", dt.date(2027, 1, 16)),
    ]
    reminder = sends[1].reminder_at
    # 12 hours after 10:00 is 22:00, in quiet hours: the reminder waits until 08:00.
    assert reminder is not None and _local(reminder) == (dt.date(2027, 1, 17), dt.time(8, 0))


def test_a_weekly_rule_sends_on_its_days_until_the_day_after_the_last_appointment() -> None:
    course = example_course(_nine(dt.date(2026, 12, 7)), appointments=2, tz=OSLO)
    rule = ScheduleRule(
        "phq9", ScheduleTrigger.WEEKLY, weekdays=frozenset({2}), send_time=dt.time(9, 30)
    )
    days = [_local(s.send_at) for s in preview_invitations([rule], course, tz=OSLO)]
    assert days == [
        (dt.date(2026, 12, 9), dt.time(9, 30)),
        (dt.date(2026, 12, 16), dt.time(9, 30)),
    ]  # the last appointment is on 21 December


def test_an_example_course_must_be_aware_and_of_sensible_length() -> None:
    with pytest.raises(ValueError):
        ExampleCourse(_nine(dt.date(2026, 1, 1)), dt.datetime(2026, 1, 8, 10))
    with pytest.raises(ValueError):
        example_course(dt.datetime(2026, 1, 1, 9), tz=OSLO)
    with pytest.raises(ValueError):
        example_course(_nine(dt.date(2026, 1, 1)), appointments=0, tz=OSLO)


DAILY_AT_TEN = ScheduleRule(
    "gad7",
    ScheduleTrigger.DAILY,
    weekdays=frozenset(range(5)),
    send_time=dt.time(10),
    window_hours=8,
)


def test_at_06_00_todays_10_00_questionnaire_is_still_to_come() -> None:
    now = dt.datetime(2026, 12, 7, 6, tzinfo=OSLO)  # a Monday
    sends = preview_invitations([DAILY_AT_TEN], example_course(now, tz=OSLO), tz=OSLO)
    assert _local(sends[0].send_at) == (dt.date(2026, 12, 7), dt.time(10))
    assert all(s.send_at >= now for s in sends)


def test_at_22_30_todays_passed_10_00_is_not_listed_and_the_first_is_tomorrow() -> None:
    now = dt.datetime(2026, 12, 7, 22, 30, tzinfo=OSLO)
    sends = preview_invitations([DAILY_AT_TEN], example_course(now, tz=OSLO), tz=OSLO)
    # Today's window (10:00-18:00) closed before registration: nothing for today.
    assert _local(sends[0].send_at) == (dt.date(2026, 12, 8), dt.time(10))
    assert all(s.send_at >= now for s in sends)


def test_a_slot_whose_time_passed_but_whose_window_is_open_goes_at_registration() -> None:
    now = dt.datetime(2026, 12, 7, 14, tzinfo=OSLO)
    course = example_course(now, tz=OSLO)
    all_day = ScheduleRule(
        "gad7", ScheduleTrigger.DAILY, weekdays=frozenset(range(5)), send_time=dt.time(10)
    )
    first, second = preview_invitations([all_day], course, tz=OSLO)[:2]
    assert first.send_at == now and sent_at_registration(first, course)
    assert _local(second.send_at) == (dt.date(2026, 12, 8), dt.time(10))
    assert not sent_at_registration(second, course)


def test_a_late_slot_found_in_quiet_hours_is_late_though_listed_after_registration() -> None:
    now = dt.datetime(2026, 12, 7, 23, tzinfo=OSLO)  # in the default quiet hours 21-08
    course = example_course(now, tz=OSLO)
    evening = ScheduleRule(
        "gad7",
        ScheduleTrigger.DAILY,
        weekdays=frozenset(range(5)),
        send_time=dt.time(20),
        window_hours=24,
    )
    first, second = preview_invitations([evening], course, tz=OSLO)[:2]
    assert _local(first.send_at) == (dt.date(2026, 12, 8), dt.time(8))
    assert late_send(first, course) is LateSend.AFTER_QUIET_HOURS
    assert not sent_at_registration(first, course)
    assert _local(second.send_at) == (dt.date(2026, 12, 8), dt.time(20))
    assert late_send(second, course) is None


def test_a_slot_planned_for_the_minute_of_registration_is_not_late() -> None:
    now = dt.datetime(2026, 12, 7, 8, tzinfo=OSLO)
    course = example_course(now, tz=OSLO)
    morning = ScheduleRule(
        "gad7", ScheduleTrigger.DAILY, weekdays=frozenset(range(5)), send_time=dt.time(8)
    )
    first = preview_invitations([morning], course, tz=OSLO)[0]
    assert first.send_at == now
    assert late_send(first, course) is None and not sent_at_registration(first, course)
