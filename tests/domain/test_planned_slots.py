"""Which planned questionnaires a changed plan still asks for (`domain/planned_slots.py`).

The service cancels the others when a rule or the patient's own days change; these tests hold
the rule against the scheduler itself: every slot `due_invitations` plans for a rule is one
`still_asked_for` says that rule asks for, so a plan that did not change cancels nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from fit_platform.domain.consent import Consent
from fit_platform.domain.planned_slots import still_asked_for
from fit_platform.domain.schedule_model import (
    ALL_WEEKDAYS,
    AppointmentSnapshot,
    EpisodeSnapshot,
    ScheduleRule,
    Trigger,
    appointment_slot_key,
    day_slot_key,
)
from fit_platform.domain.scheduling import due_invitations

OSLO = ZoneInfo("Europe/Oslo")
TUESDAY = date(2027, 1, 5)
WEEKLY_TUESDAY = ScheduleRule("phq9", Trigger.WEEKLY, weekdays=frozenset({1}))
DAILY = ScheduleRule("phq9", Trigger.DAILY, weekdays=frozenset(range(5)))
BEFORE = ScheduleRule("ors", Trigger.BEFORE_APPOINTMENT, offset_hours=24, window_hours=24)
APPOINTMENT = AppointmentSnapshot(7, datetime(2027, 1, 6, 9, tzinfo=UTC))


def test_the_same_rule_still_asks_for_what_it_planned() -> None:
    assert still_asked_for(WEEKLY_TUESDAY, "phq9", day_slot_key(TUESDAY))
    slot = appointment_slot_key(APPOINTMENT, Trigger.BEFORE_APPOINTMENT)
    assert still_asked_for(BEFORE, "ors", slot)


def test_another_questionnaire_is_not_what_was_planned() -> None:
    assert not still_asked_for(WEEKLY_TUESDAY, "gad7", day_slot_key(TUESDAY))


def test_a_day_the_rule_no_longer_has_is_not_asked_for() -> None:
    thursdays = ScheduleRule("phq9", Trigger.WEEKLY, weekdays=frozenset({3}))
    assert not still_asked_for(thursdays, "phq9", day_slot_key(TUESDAY))


def test_a_new_send_time_keeps_the_day_asked_for() -> None:
    later = ScheduleRule("phq9", Trigger.WEEKLY, weekdays=frozenset({1}), send_time=time(14))
    assert still_asked_for(later, "phq9", day_slot_key(TUESDAY))


def test_the_patients_own_days_narrow_a_daily_rule_only() -> None:
    without_tuesday = frozenset({0, 2, 3})
    slot = day_slot_key(TUESDAY)
    assert still_asked_for(DAILY, "phq9", slot, own_weekdays=None)
    assert not still_asked_for(DAILY, "phq9", slot, own_weekdays=without_tuesday)
    # A weekly rule is agreed on its own; the programme days do not narrow it.
    assert still_asked_for(WEEKLY_TUESDAY, "phq9", slot, own_weekdays=without_tuesday)


def test_another_kind_of_occasion_is_not_what_was_planned() -> None:
    before = appointment_slot_key(APPOINTMENT, Trigger.BEFORE_APPOINTMENT)
    after = ScheduleRule("ors", Trigger.AFTER_APPOINTMENT, offset_hours=1, window_hours=48)
    assert not still_asked_for(after, "ors", before)
    weekly_ors = ScheduleRule("ors", Trigger.WEEKLY, weekdays=ALL_WEEKDAYS)
    assert not still_asked_for(weekly_ors, "ors", before)
    assert not still_asked_for(BEFORE, "phq9", day_slot_key(TUESDAY))


def test_a_slot_the_rules_do_not_make_is_left_alone() -> None:
    # Group sessions and the demo's history have slots of their own; a change of a rule
    # must not take them back, nor fail on a day it cannot read.
    assert still_asked_for(WEEKLY_TUESDAY, "phq9", "group:12")
    assert still_asked_for(WEEKLY_TUESDAY, "phq9", "day:not-a-date")


@settings(max_examples=60, deadline=None)
@given(
    trigger=st.sampled_from([Trigger.WEEKLY, Trigger.DAILY, Trigger.BEFORE_APPOINTMENT]),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    own=st.none() | st.frozensets(st.integers(0, 6), min_size=1),
    hour=st.integers(0, 23 * 7),
)
def test_every_slot_the_scheduler_plans_is_one_its_rule_asks_for(
    trigger: Trigger, weekdays: frozenset[int], own: frozenset[int] | None, hour: int
) -> None:
    rule = ScheduleRule(
        "phq9",
        trigger,
        offset_hours=24 if trigger is Trigger.BEFORE_APPOINTMENT else 0,
        weekdays=weekdays,
        window_hours=48,
    )
    episode = EpisodeSnapshot(
        id=1, starts_on=date(2026, 12, 1), programme_weekdays=ALL_WEEKDAYS, agreed_weekdays=own
    )
    now = datetime(2027, 1, 4, 8, tzinfo=UTC) + timedelta(hours=hour)
    planned = due_invitations(
        episode,
        [rule],
        [APPOINTMENT],
        Consent(),
        [],
        now,
        horizon=timedelta(days=7),
        tz=OSLO,
    )
    if trigger is Trigger.WEEKLY:
        assert planned  # a week ahead holds each of its weekdays
    for invitation in planned:
        slot = invitation.slot_key
        assert still_asked_for(rule, invitation.instrument_id, slot, own_weekdays=own)
