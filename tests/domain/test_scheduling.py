from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fit_platform.domain.codes import AppointmentStatus, ConsentEventKind, InvitationState
from fit_platform.domain.consent import Consent, ConsentEvent, consent_state
from fit_platform.domain.quiet_hours import (
    DEFAULT_QUIET_HOURS,
    QuietHours,
    latest_send_time_before,
    next_send_time,
)
from fit_platform.domain.schedule_model import (
    APPOINTMENT_TRIGGERS,
    WITHDRAWN_SLOT_MARK,
    AppointmentSnapshot,
    DueInvitation,
    EpisodeSnapshot,
    ExistingInvitation,
    ScheduleRule,
    Trigger,
    appointment_of_slot,
    appointment_slot_key,
)
from fit_platform.domain.scheduling import due_invitations, obsolete_slots
from fit_platform.domain.send_window import SkipReason

OSLO = ZoneInfo("Europe/Oslo")  # the default FIT_TIMEZONE, given as the domain asks

ACTIVE = Consent()
EPISODE = EpisodeSnapshot(id=1, starts_on=date(2026, 1, 1))


def oslo(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=OSLO).astimezone(UTC)


MONDAY_NOON = oslo(2026, 11, 23, 12)


def appt(
    id_: int, start: datetime, status: str = "planned", last: bool = False
) -> AppointmentSnapshot:
    return AppointmentSnapshot(id_, start, AppointmentStatus(status), is_last=last)


def due(
    rules: list[ScheduleRule],
    appointments: list[AppointmentSnapshot] = [],  # noqa: B006
    now: datetime = MONDAY_NOON,
    *,
    consent: Consent = ACTIVE,
    existing: list[ExistingInvitation] = [],  # noqa: B006
    episode: EpisodeSnapshot = EPISODE,
    horizon: timedelta = timedelta(0),
) -> list[DueInvitation]:
    return due_invitations(
        episode, rules, appointments, consent, existing, now, horizon=horizon, tz=OSLO
    )


BEFORE = ScheduleRule("ors", Trigger.BEFORE_APPOINTMENT, offset_hours=24, window_hours=24)
AFTER = ScheduleRule("srs", Trigger.AFTER_APPOINTMENT, offset_hours=1, window_hours=48)


# --- quiet hours -------------------------------------------------------------------


def test_a_send_inside_quiet_hours_moves_to_eight_in_the_morning() -> None:
    assert next_send_time(oslo(2026, 11, 23, 22, 15), tz=OSLO) == oslo(2026, 11, 24, 8)
    assert next_send_time(oslo(2026, 11, 24, 3, 0), tz=OSLO) == oslo(2026, 11, 24, 8)


def test_a_send_outside_quiet_hours_is_left_alone() -> None:
    assert next_send_time(oslo(2026, 11, 23, 20, 59), tz=OSLO) == oslo(2026, 11, 23, 20, 59)


def test_quiet_hours_over_the_spring_dst_night_end_at_eight_summer_time() -> None:
    # 22:00 CET Saturday -> 08:00 CEST Sunday 2026-03-29 = 06:00 UTC.
    moved = next_send_time(datetime(2026, 3, 28, 21, 0, tzinfo=UTC), tz=OSLO)
    assert moved == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_quiet_hours_over_the_autumn_dst_night_end_at_eight_winter_time() -> None:
    # 22:00 CEST Saturday -> 08:00 CET Sunday 2026-10-25 = 07:00 UTC.
    moved = next_send_time(datetime(2026, 10, 24, 20, 0, tzinfo=UTC), tz=OSLO)
    assert moved == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


def test_quiet_hours_within_one_day_are_supported() -> None:
    lunch = QuietHours(time(11, 30), time(12, 30))
    assert next_send_time(oslo(2026, 11, 23, 12), lunch, tz=OSLO) == oslo(2026, 11, 23, 12, 30)
    assert not QuietHours(time(8), time(8)).contains(oslo(2026, 11, 23, 3), tz=OSLO)


@given(
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    )
)
def test_a_moved_send_is_never_inside_quiet_hours_nor_earlier(at: datetime) -> None:
    moved = next_send_time(at, tz=OSLO)
    assert moved >= at
    assert not DEFAULT_QUIET_HOURS.contains(moved, tz=OSLO)
    assert moved - at <= timedelta(hours=12)


@given(
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    )
)
def test_a_send_moved_backwards_is_never_inside_quiet_hours_nor_later(at: datetime) -> None:
    moved = latest_send_time_before(at, tz=OSLO)
    assert moved <= at
    assert not DEFAULT_QUIET_HOURS.contains(moved, tz=OSLO)


# --- rules -------------------------------------------------------------------------


def test_a_reminder_must_come_before_the_window_closes() -> None:
    with pytest.raises(ValueError):
        ScheduleRule("ors", Trigger.DAILY, window_hours=24, reminder_after_hours=24)


def test_a_weekly_rule_needs_weekdays() -> None:
    with pytest.raises(ValueError):
        ScheduleRule("ors", Trigger.WEEKLY)


# --- appointments ------------------------------------------------------------------


def test_the_outcome_measure_is_due_the_given_hours_before_an_appointment() -> None:
    a = appt(5, oslo(2026, 11, 24, 13))
    assert due([BEFORE], [a], now=oslo(2026, 11, 23, 12, 59)) == []
    [inv] = due([BEFORE], [a], now=oslo(2026, 11, 23, 13))
    assert inv.slot_key == "appt:5@20261124T1200Z:before_appointment"
    assert inv.send_at == oslo(2026, 11, 23, 13)
    assert inv.appointment_id == 5
    assert inv.expires_at == a.start


def test_a_measure_before_an_early_appointment_goes_before_quiet_hours_not_after_the_session() -> (
    None
):
    rule = ScheduleRule("ors", Trigger.BEFORE_APPOINTMENT, offset_hours=10)
    a = appt(5, oslo(2026, 11, 24, 8, 0))  # 10 h before is 22:00: quiet
    [inv] = due([rule], [a], now=oslo(2026, 11, 23, 21))
    assert inv.send_at == oslo(2026, 11, 23, 20, 59)


def test_a_measure_before_a_late_morning_appointment_waits_for_the_morning() -> None:
    rule = ScheduleRule("ors", Trigger.BEFORE_APPOINTMENT, offset_hours=12)
    a = appt(5, oslo(2026, 11, 24, 10, 0))  # 12 h before is 22:00: quiet
    assert due([rule], [a], now=oslo(2026, 11, 23, 22)) == []
    [inv] = due([rule], [a], now=oslo(2026, 11, 24, 8))
    assert inv.send_at == oslo(2026, 11, 24, 8)
    assert inv.expires_at == a.start


def test_the_alliance_measure_is_due_after_each_appointment_that_took_place() -> None:
    appts = [
        appt(1, oslo(2026, 11, 23, 9)),
        appt(2, oslo(2026, 11, 23, 10), "done"),
        appt(3, oslo(2026, 11, 23, 11), "cancelled"),
        appt(4, oslo(2026, 11, 23, 12), "no_show"),
    ]
    invs = due([AFTER], appts, now=oslo(2026, 11, 23, 14))
    assert [i.appointment_id for i in invs] == [1, 2]
    assert invs[0].send_at == oslo(2026, 11, 23, 10)
    assert invs[0].expires_at == oslo(2026, 11, 25, 10)


def test_an_evening_session_gets_its_alliance_measure_next_morning() -> None:
    a = appt(1, oslo(2026, 11, 23, 20, 30))
    assert due([AFTER], [a], now=oslo(2026, 11, 23, 21, 30)) == []
    [inv] = due([AFTER], [a], now=oslo(2026, 11, 24, 8))
    assert inv.send_at == oslo(2026, 11, 24, 8)


def test_a_cancelled_appointment_gets_no_measure_before_it() -> None:
    a = appt(5, oslo(2026, 11, 24, 13), "cancelled")
    assert due([BEFORE], [a], now=oslo(2026, 11, 23, 13)) == []


def test_a_cancelled_or_moved_appointment_makes_its_open_invitation_obsolete() -> None:
    old = appt(5, oslo(2026, 11, 24, 13))
    moved = appt(5, oslo(2026, 11, 26, 13))
    other = appt(6, oslo(2026, 11, 30, 13))
    pending = [
        d.as_existing()
        for d in due([BEFORE], [old, other], now=oslo(2026, 11, 23, 13), horizon=timedelta(days=7))
    ]
    assert len(pending) == 2
    assert obsolete_slots([BEFORE], [moved, other], pending) == {
        ("ors", appointment_slot_key(old, Trigger.BEFORE_APPOINTMENT))
    }
    cancelled = appt(6, other.start, "cancelled")
    assert ("ors", appointment_slot_key(other, Trigger.BEFORE_APPOINTMENT)) in obsolete_slots(
        [BEFORE], [old, cancelled], pending
    )


def test_a_moved_appointment_gets_a_fresh_invitation_at_its_new_time() -> None:
    old = appt(5, oslo(2026, 11, 24, 13))
    [first] = due([BEFORE], [old], now=oslo(2026, 11, 23, 13))
    cancelled = ExistingInvitation(first.slot_key, "ors", first.send_at, InvitationState.CANCELLED)
    moved = appt(5, oslo(2026, 11, 26, 13))
    [second] = due([BEFORE], [moved], now=oslo(2026, 11, 25, 13), existing=[cancelled])
    assert second.slot_key != first.slot_key
    assert second.send_at == oslo(2026, 11, 25, 13)


def _replied(first: DueInvitation, state: InvitationState) -> ExistingInvitation:
    return ExistingInvitation(
        first.slot_key, first.instrument_id, first.send_at, state, sent_at=first.send_at
    )


@pytest.mark.parametrize("state", [InvitationState.COMPLETED, InvitationState.DECLINED])
def test_an_answered_appointment_is_not_asked_again_when_it_is_moved(
    state: InvitationState,
) -> None:
    """The patient answered (or declined) the questionnaire for Tuesday's session; the session
    moves to Thursday: the reply stands for it, nothing is sent again."""
    old = appt(5, oslo(2026, 11, 24, 13))
    [first] = due([BEFORE], [old], now=oslo(2026, 11, 23, 13))
    moved = appt(5, oslo(2026, 11, 26, 13))
    for now in (oslo(2026, 11, 25, 13), oslo(2026, 11, 26, 8)):
        assert due([BEFORE], [moved], now=now, existing=[_replied(first, state)]) == []
    # Another appointment is still asked for, and so is another instrument for this one.
    other = appt(6, oslo(2026, 11, 26, 15))
    alliance_before = ScheduleRule("srs", Trigger.BEFORE_APPOINTMENT, offset_hours=24)
    found = due(
        [BEFORE, alliance_before],
        [moved, other],
        now=oslo(2026, 11, 25, 13),
        horizon=timedelta(hours=3),
        existing=[_replied(first, state)],
    )
    assert {(d.instrument_id, d.appointment_id) for d in found} == {
        ("srs", 5),
        ("ors", 6),
        ("srs", 6),
    }


def test_an_alliance_rating_stands_when_a_held_session_is_put_at_its_right_time() -> None:
    """The session was typed in at 13:00 but held at 14:00; the therapist corrects it after
    the patient rated it: the rating is for that session, not asked a second time."""
    held = appt(5, oslo(2026, 11, 24, 13), "done")
    [first] = due([AFTER], [held], now=oslo(2026, 11, 24, 14, 30))
    corrected = appt(5, oslo(2026, 11, 24, 14), "done")
    existing = [_replied(first, InvitationState.COMPLETED)]
    assert due([AFTER], [corrected], now=oslo(2026, 11, 24, 16), existing=existing) == []


@pytest.mark.parametrize("state", [InvitationState.EXPIRED, InvitationState.CANCELLED])
def test_an_unanswered_appointment_is_asked_again_before_its_new_time(
    state: InvitationState,
) -> None:
    """Expired (unanswered, or skipped for too little time) or withdrawn: the patient never
    replied, so the moved session gets its questionnaire."""
    old = appt(5, oslo(2026, 11, 24, 13))
    [first] = due([BEFORE], [old], now=oslo(2026, 11, 23, 13))
    moved = appt(5, oslo(2026, 11, 26, 13))
    existing = [ExistingInvitation(first.slot_key, "ors", first.send_at, state)]
    [again] = due([BEFORE], [moved], now=oslo(2026, 11, 25, 13), existing=existing)
    assert again.appointment_id == 5 and again.slot_key != first.slot_key


def test_a_withdrawn_slot_key_still_fits_its_column() -> None:
    """A withdrawn questionnaire's key gets the mark and its id (services/cancel.py): with the
    largest ids and the longest trigger it must still fit the 64 characters of the column."""
    largest = 2**31 - 1  # the id columns are 32-bit integers
    longest = max(APPOINTMENT_TRIGGERS, key=lambda t: len(t.value))
    key = appointment_slot_key(appt(largest, oslo(2026, 11, 24, 13)), longest)
    assert len(key + WITHDRAWN_SLOT_MARK + str(largest)) <= 64


def test_completed_invitations_are_never_obsolete() -> None:
    a = appt(5, oslo(2026, 11, 24, 13), "cancelled")
    done = ExistingInvitation(
        appointment_slot_key(a, Trigger.BEFORE_APPOINTMENT),
        "ors",
        a.start,
        InvitationState.COMPLETED,
    )
    assert obsolete_slots([BEFORE], [a], [done]) == frozenset()


def test_goals_are_asked_before_the_first_session_only() -> None:
    goals = ScheduleRule("goals", Trigger.FIRST_SESSION, offset_hours=48, window_hours=96)
    appts = [
        appt(2, oslo(2026, 11, 30, 10)),
        appt(1, oslo(2026, 11, 23, 10), "cancelled"),
        appt(3, oslo(2026, 12, 7, 10)),
    ]
    invs = due([goals], appts, now=oslo(2026, 11, 23, 12), horizon=timedelta(days=30))
    assert [i.appointment_id for i in invs] == [2]
    assert invs[0].slot_key.endswith(":first_session")
    assert invs[0].expires_at == oslo(2026, 11, 30, 10)


def test_the_last_session_extra_follows_the_session_marked_last() -> None:
    closing = ScheduleRule("closing", Trigger.LAST_SESSION, offset_hours=24)
    appts = [appt(1, oslo(2026, 11, 25, 10)), appt(2, oslo(2026, 12, 2, 10), last=True)]
    invs = due([closing], appts, now=oslo(2026, 11, 23, 12), horizon=timedelta(days=30))
    assert [i.appointment_id for i in invs] == [2]


def test_hours_before_an_appointment_are_real_hours_across_the_spring_dst_change() -> None:
    # Monday 2026-03-30 10:00 CEST; 48 real hours earlier is Saturday 09:00 CET.
    rule = ScheduleRule("ors", Trigger.BEFORE_APPOINTMENT, offset_hours=48)
    a = appt(1, oslo(2026, 3, 30, 10))
    [inv] = due([rule], [a], now=oslo(2026, 3, 28, 9))
    assert inv.send_at == oslo(2026, 3, 28, 9)
    assert inv.send_at == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)


# --- weekly and daily --------------------------------------------------------------

DAILY = ScheduleRule("ors", Trigger.DAILY, window_hours=10, send_time=time(10))
DAY_PROGRAMME = EpisodeSnapshot(
    id=2, starts_on=date(2026, 11, 23), programme_weekdays=frozenset({0, 1, 2, 3})
)


def week_of(
    rules: list[ScheduleRule],
    episode: EpisodeSnapshot,
    consent: Consent = ACTIVE,
    monday: date = date(2026, 11, 23),
) -> list[date]:
    sent: list[DueInvitation] = []
    now = datetime.combine(monday, time(0), tzinfo=OSLO).astimezone(UTC)
    for _ in range(7 * 24):
        sent += due(
            rules,
            now=now,
            episode=episode,
            consent=consent,
            existing=[s.as_existing() for s in sent],
        )
        now += timedelta(hours=1)
    return [s.send_at.astimezone(OSLO).date() for s in sent]


def test_a_day_programme_asks_every_programme_day() -> None:
    assert [d.weekday() for d in week_of([DAILY], DAY_PROGRAMME)] == [0, 1, 2, 3]


def test_an_individually_agreed_frequency_asks_on_fewer_days() -> None:
    agreed = EpisodeSnapshot(
        id=2,
        starts_on=date(2026, 11, 23),
        programme_weekdays=frozenset({0, 1, 2, 3}),
        agreed_weekdays=frozenset({1, 3}),
    )
    assert [d.weekday() for d in week_of([DAILY], agreed)] == [1, 3]


def test_a_patient_who_reduced_frequency_is_asked_only_on_their_days() -> None:
    reduced = consent_state(
        [
            ConsentEvent(
                ConsentEventKind.FREQUENCY_REDUCED, oslo(2026, 11, 1), weekdays=frozenset({2})
            )
        ]
    )
    assert [d.weekday() for d in week_of([DAILY], DAY_PROGRAMME, reduced)] == [2]


def test_a_weekly_rule_asks_on_the_chosen_weekdays_at_the_send_time() -> None:
    weekly = ScheduleRule(
        "ors", Trigger.WEEKLY, weekdays=frozenset({0, 4}), send_time=time(17, 30), window_hours=24
    )
    days = week_of([weekly], EPISODE)
    assert [d.weekday() for d in days] == [0, 4]
    [first] = due([weekly], now=oslo(2026, 11, 23, 17, 30))
    assert first.slot_key == "day:2026-11-23"
    assert first.send_at == oslo(2026, 11, 23, 17, 30)


def test_a_daily_rule_keeps_local_send_time_over_the_spring_dst_weekend() -> None:
    every_day = EpisodeSnapshot(
        id=3, starts_on=date(2026, 3, 1), programme_weekdays=frozenset(range(7))
    )
    invs = due(
        [DAILY], now=oslo(2026, 3, 30, 12), episode=every_day, horizon=timedelta(0), existing=[]
    )
    by_day = {
        i.slot_key: i.send_at
        for i in due(
            [ScheduleRule("ors", Trigger.DAILY, window_hours=72)],
            now=oslo(2026, 3, 30, 12),
            episode=every_day,
        )
    }
    assert by_day["day:2026-03-28"] == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert by_day["day:2026-03-29"] == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert by_day["day:2026-03-30"] == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert [i.slot_key for i in invs] == ["day:2026-03-30"]


def test_a_daily_rule_keeps_local_send_time_over_the_autumn_dst_weekend() -> None:
    every_day = EpisodeSnapshot(
        id=3, starts_on=date(2026, 10, 1), programme_weekdays=frozenset(range(7))
    )
    by_day = {
        i.slot_key: i.send_at
        for i in due(
            [ScheduleRule("ors", Trigger.DAILY, window_hours=72)],
            now=oslo(2026, 10, 26, 12),
            episode=every_day,
        )
    }
    assert by_day["day:2026-10-24"] == datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    assert by_day["day:2026-10-25"] == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    assert by_day["day:2026-10-26"] == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_a_send_time_inside_quiet_hours_on_the_dst_night_moves_to_the_morning() -> None:
    night = ScheduleRule("ors", Trigger.DAILY, send_time=time(2, 30), window_hours=24)
    every_day = EpisodeSnapshot(
        id=3, starts_on=date(2026, 3, 1), programme_weekdays=frozenset(range(7))
    )
    [inv] = [
        i
        for i in due([night], now=oslo(2026, 3, 29, 12), episode=every_day)
        if i.slot_key == "day:2026-03-29"
    ]
    assert inv.send_at == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_no_daily_invitation_before_the_episode_starts_or_after_it_ends() -> None:
    short = EpisodeSnapshot(
        id=4,
        starts_on=date(2026, 11, 24),
        ends_on=date(2026, 11, 25),
        programme_weekdays=frozenset(range(7)),
    )
    assert [d.isoformat() for d in week_of([DAILY], short)] == ["2026-11-24", "2026-11-25"]


def test_a_window_that_closed_while_the_scheduler_was_down_is_not_sent_late() -> None:
    assert due([DAILY], now=oslo(2026, 11, 23, 20, 1), episode=DAY_PROGRAMME) == []
    [late] = due([DAILY], now=oslo(2026, 11, 23, 19, 59), episode=DAY_PROGRAMME)
    assert late.send_at == oslo(2026, 11, 23, 10)


# --- window, reminder, minimum interval, consent --------------------------------------


def test_the_reminder_goes_after_the_delay_and_out_of_quiet_hours() -> None:
    rule = ScheduleRule(
        "ors",
        Trigger.WEEKLY,
        weekdays=frozenset({0}),
        send_time=time(18),
        window_hours=48,
        reminder_after_hours=4,
    )
    [inv] = due([rule], now=oslo(2026, 11, 23, 18))
    assert inv.expires_at == oslo(2026, 11, 25, 18)
    assert inv.reminder_at == oslo(2026, 11, 24, 8)


def test_no_reminder_when_quiet_hours_would_push_it_past_the_window() -> None:
    rule = ScheduleRule(
        "ors",
        Trigger.WEEKLY,
        weekdays=frozenset({0}),
        send_time=time(18),
        window_hours=6,
        reminder_after_hours=4,
    )
    [inv] = due([rule], now=oslo(2026, 11, 23, 18))
    assert inv.reminder_at is None


def test_the_same_instrument_is_never_sent_twice_within_the_minimum_interval() -> None:
    before = ScheduleRule("ors", Trigger.BEFORE_APPOINTMENT, offset_hours=2, min_interval_hours=72)
    appts = [
        appt(1, oslo(2026, 11, 23, 12)),
        appt(2, oslo(2026, 11, 24, 12)),
        appt(3, oslo(2026, 11, 27, 12)),
    ]
    invs = due([before], appts, now=oslo(2026, 11, 22, 12), horizon=timedelta(days=7))
    assert [i.appointment_id for i in invs] == [1, 3]


def test_the_minimum_interval_counts_invitations_already_sent_but_not_cancelled_ones() -> None:
    before = ScheduleRule("ors", Trigger.BEFORE_APPOINTMENT, offset_hours=2, min_interval_hours=72)
    a = appt(2, oslo(2026, 11, 24, 12))
    sent = ExistingInvitation("day:x", "ors", oslo(2026, 11, 23, 10), InvitationState.SENT)
    cancelled = ExistingInvitation(
        "day:x", "ors", oslo(2026, 11, 23, 10), InvitationState.CANCELLED
    )
    assert due([before], [a], now=oslo(2026, 11, 24, 10), existing=[sent]) == []
    assert len(due([before], [a], now=oslo(2026, 11, 24, 10), existing=[cancelled])) == 1


def test_an_existing_slot_is_not_created_again() -> None:
    [inv] = due([DAILY], now=oslo(2026, 11, 23, 10), episode=DAY_PROGRAMME)
    assert (
        due(
            [DAILY], now=oslo(2026, 11, 23, 10), episode=DAY_PROGRAMME, existing=[inv.as_existing()]
        )
        == []
    )


def test_a_paused_patient_is_due_nothing_until_the_pause_ends() -> None:
    paused = consent_state(
        [ConsentEvent(ConsentEventKind.PAUSED, oslo(2026, 11, 1), until=date(2026, 11, 25))]
    )
    assert week_of([DAILY], DAY_PROGRAMME, paused) == [date(2026, 11, 26)]


def test_a_stopped_patient_is_due_nothing() -> None:
    stopped = consent_state([ConsentEvent(ConsentEventKind.STOPPED, oslo(2026, 11, 1))])
    assert week_of([DAILY, AFTER], DAY_PROGRAMME, stopped) == []


# --- properties ----------------------------------------------------------------------

rules_st = st.lists(
    st.builds(
        ScheduleRule,
        instrument_id=st.sampled_from(["ors", "srs", "goals"]),
        trigger=st.sampled_from(list(Trigger)),
        offset_hours=st.integers(0, 72),
        weekdays=st.frozensets(st.integers(0, 6), min_size=1),
        window_hours=st.integers(1, 120),
        reminder_after_hours=st.none(),
        min_interval_hours=st.integers(0, 96),
        send_time=st.times(),
    ),
    min_size=1,
    max_size=4,
)
appts_st = st.lists(
    st.builds(
        AppointmentSnapshot,
        id=st.integers(1, 20),
        start=st.datetimes(
            min_value=datetime(2026, 3, 20), max_value=datetime(2026, 4, 5), timezones=st.just(UTC)
        ),
        status=st.sampled_from(list(AppointmentStatus)),
        is_last=st.booleans(),
    ),
    max_size=6,
    unique_by=lambda a: a.id,
)
now_st = st.datetimes(
    min_value=datetime(2026, 3, 22), max_value=datetime(2026, 4, 3), timezones=st.just(UTC)
)
horizon_st = st.sampled_from([timedelta(0), timedelta(days=3)])


@settings(max_examples=150, deadline=None)
@given(rules_st, appts_st, now_st, horizon_st)
def test_no_invitation_is_ever_sent_in_quiet_hours(rules, appts, now, horizon) -> None:  # type: ignore[no-untyped-def]
    episode = EpisodeSnapshot(
        id=1, starts_on=date(2026, 3, 1), programme_weekdays=frozenset(range(7))
    )
    for inv in due_invitations(episode, rules, appts, ACTIVE, [], now, horizon=horizon, tz=OSLO):
        assert inv.expires_at > now
        if inv.skipped is not None:
            continue
        assert not DEFAULT_QUIET_HOURS.contains(inv.send_at, tz=OSLO)
        # Due by the horizon, or found late in quiet hours and waiting until they end.
        assert inv.send_at <= now + horizon or inv.send_at == next_send_time(now, tz=OSLO)
        if inv.reminder_at is not None:
            assert not DEFAULT_QUIET_HOURS.contains(inv.reminder_at, tz=OSLO)
            assert inv.send_at < inv.reminder_at < inv.expires_at


@settings(max_examples=150, deadline=None)
@given(rules_st, appts_st, now_st, horizon_st)
def test_running_twice_creates_nothing_new(rules, appts, now, horizon) -> None:  # type: ignore[no-untyped-def]
    episode = EpisodeSnapshot(
        id=1, starts_on=date(2026, 3, 1), programme_weekdays=frozenset(range(7))
    )
    first = due_invitations(episode, rules, appts, ACTIVE, [], now, horizon=horizon, tz=OSLO)
    again = due_invitations(
        episode,
        rules,
        appts,
        ACTIVE,
        [i.as_existing() for i in first],
        now,
        horizon=horizon,
        tz=OSLO,
    )
    assert again == []
    assert len({(i.instrument_id, i.slot_key) for i in first}) == len(first)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        rules_st.flatmap(st.sampled_from),
        min_size=1,
        max_size=3,
        unique_by=lambda r: r.instrument_id,
    ),
    appts_st,
    now_st,
)
def test_a_ticking_clock_never_breaks_the_minimum_interval(rules, appts, now) -> None:  # type: ignore[no-untyped-def]
    episode = EpisodeSnapshot(
        id=1, starts_on=date(2026, 3, 1), programme_weekdays=frozenset(range(7))
    )
    interval = {r.instrument_id: timedelta(hours=r.min_interval_hours) for r in rules}
    # Each invitation with when it really left: its planned time, or the tick that found it
    # late (the interval counts real sends, not planned ones).
    sent: list[tuple[DueInvitation, datetime]] = []
    for step in range(0, 96, 5):
        tick = now + timedelta(hours=step)
        found = due_invitations(
            episode,
            rules,
            appts,
            ACTIVE,
            [
                s.as_existing()
                if s.skipped is not None
                else replace(s.as_existing(), state=InvitationState.SENT, sent_at=left)
                for s, left in sent
            ],
            tick,
            tz=OSLO,
        )
        sent += [(d, max(d.send_at, tick)) for d in found]
    left = [(s, at) for s, at in sent if s.skipped is None]
    for i, (a, a_left) in enumerate(left):
        for b, b_left in left[i + 1 :]:
            if a.instrument_id == b.instrument_id:
                assert abs(a_left - b_left) >= interval[a.instrument_id]


@settings(max_examples=150, deadline=None)
@given(
    rules_st,
    appts_st,
    now_st,
    st.lists(st.integers(-96, 96), min_size=1, max_size=3),
    st.sampled_from([InvitationState.COMPLETED, InvitationState.DECLINED]),
)
def test_a_replied_appointment_is_never_asked_again_however_it_moves(  # type: ignore[no-untyped-def]
    rules, appts, now, moves, state
) -> None:
    """Whatever the rules, the appointments and the clock: once the patient replied to the
    questionnaire a rule sent for an appointment, moving that appointment (any number of
    times, either way) never plans that instrument and trigger for it again."""
    episode = EpisodeSnapshot(
        id=1, starts_on=date(2026, 3, 1), programme_weekdays=frozenset(range(7))
    )

    def plan(
        apps: list[AppointmentSnapshot], existing: list[ExistingInvitation]
    ) -> list[DueInvitation]:
        return due_invitations(
            episode, rules, apps, ACTIVE, existing, now, horizon=timedelta(days=3), tz=OSLO
        )

    first = [d for d in plan(appts, []) if d.appointment_id is not None and d.skipped is None]
    replied = [replace(d.as_existing(), state=state, sent_at=d.send_at) for d in first]
    asked = {(d.instrument_id, d.appointment_id, d.trigger) for d in first}
    for hours in moves:
        appts = [replace(a, start=a.start + timedelta(hours=hours)) for a in appts]
        again = {(d.instrument_id, d.appointment_id, d.trigger) for d in plan(appts, replied)}
        assert not asked & again


@given(
    st.integers(1, 10**9),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(list(Trigger)),
)
def test_an_appointment_slot_key_names_its_appointment_and_trigger(  # type: ignore[no-untyped-def]
    appointment_id, start, trigger
) -> None:
    key = appointment_slot_key(appt(appointment_id, start.replace(tzinfo=UTC)), trigger)
    assert appointment_of_slot(key) == (appointment_id, trigger.value)
    assert appointment_of_slot("day:2026-11-24") is None


# --- why a slot moved out of quiet hours was not sent --------------------------------

HOUR_BEFORE = ScheduleRule("phq9", Trigger.BEFORE_APPOINTMENT, offset_hours=1, window_hours=48)


def test_an_hour_before_0830_moved_to_0800_is_not_sent_because_of_quiet_hours() -> None:
    booked = appt(1, oslo(2026, 12, 3, 8, 30))
    booked = replace(booked, booked_at=oslo(2026, 12, 2, 12))
    [slot] = due([HOUR_BEFORE], [booked], now=oslo(2026, 12, 3, 8))
    assert (slot.send_at, slot.skipped) == (oslo(2026, 12, 3, 8), SkipReason.QUIET_HOURS)


def test_booked_at_0745_it_never_had_its_hour_and_too_little_time_is_why() -> None:
    late = replace(appt(1, oslo(2026, 12, 3, 8, 30)), booked_at=oslo(2026, 12, 3, 7, 45))
    [slot] = due([HOUR_BEFORE], [late], now=oslo(2026, 12, 3, 8))
    assert slot.skipped is SkipReason.TOO_LITTLE_TIME
