from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fit_platform.domain.codes import Channel, ConsentEventKind, ConsentState
from fit_platform.domain.consent import ConsentEvent, consent_state, may_send
from tests.support.scheduling import OSLO

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def event(kind: ConsentEventKind, hours: float, **kw: object) -> ConsentEvent:
    return ConsentEvent(kind=kind, at=T0 + timedelta(hours=hours), **kw)  # type: ignore[arg-type]


def test_a_patient_without_events_is_active_on_sms() -> None:
    state = consent_state([])
    assert state.status is ConsentState.ACTIVE
    assert state.channel is Channel.SMS
    assert may_send(state, T0, tz=OSLO)


def test_a_paused_patient_gets_nothing_until_the_pause_ends() -> None:
    state = consent_state([event(ConsentEventKind.PAUSED, 0, until=date(2026, 11, 10))])
    # The pause includes 10 November; 11 November 00:00 in Oslo is 10 November 23:00 UTC.
    assert not may_send(state, datetime(2026, 11, 10, 22, 59, tzinfo=UTC), tz=OSLO)
    assert may_send(state, datetime(2026, 11, 10, 23, 0, tzinfo=UTC), tz=OSLO)


def test_resuming_ends_a_pause_at_once() -> None:
    state = consent_state(
        [
            event(ConsentEventKind.PAUSED, 0, until=date(2027, 1, 1)),
            event(ConsentEventKind.RESUMED, 1),
        ]
    )
    assert state.status is ConsentState.ACTIVE
    assert may_send(state, T0 + timedelta(hours=2), tz=OSLO)


def test_a_stopped_patient_stays_stopped_whatever_else_happens_until_restart() -> None:
    events = [
        event(ConsentEventKind.STOPPED, 0),
        event(ConsentEventKind.RESUMED, 1),
        event(ConsentEventKind.PAUSED, 2, until=date(2026, 11, 3)),
    ]
    state = consent_state(events)
    assert state.status is ConsentState.STOPPED
    assert not may_send(state, T0 + timedelta(days=30), tz=OSLO)
    restarted = consent_state([*events, event(ConsentEventKind.RESTARTED, 3)])
    assert may_send(restarted, T0 + timedelta(hours=4), tz=OSLO)


def test_events_are_applied_in_time_order_not_list_order() -> None:
    state = consent_state(
        [event(ConsentEventKind.RESTARTED, 2), event(ConsentEventKind.STOPPED, 1)]
    )
    assert state.status is ConsentState.ACTIVE


def test_channel_and_frequency_survive_a_stop_and_restart() -> None:
    state = consent_state(
        [
            event(ConsentEventKind.CHANNEL_CHANGED, 0, channel=Channel.EMAIL),
            event(ConsentEventKind.FREQUENCY_REDUCED, 1, weekdays=frozenset({0, 3})),
            event(ConsentEventKind.STOPPED, 2),
            event(ConsentEventKind.RESTARTED, 3),
        ]
    )
    assert state.channel is Channel.EMAIL
    assert state.weekdays == frozenset({0, 3})


def test_declining_one_invitation_does_not_stop_feedback() -> None:
    state = consent_state([event(ConsentEventKind.DECLINED_INVITATION, 0, invitation_id=7)])
    assert state.declined_invitation_ids == frozenset({7})
    assert may_send(state, T0, tz=OSLO)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": ConsentEventKind.PAUSED, "at": T0},
        {"kind": ConsentEventKind.CHANNEL_CHANGED, "at": T0},
        {"kind": ConsentEventKind.FREQUENCY_REDUCED, "at": T0, "weekdays": frozenset()},
        {"kind": ConsentEventKind.FREQUENCY_REDUCED, "at": T0, "weekdays": frozenset({7})},
        {"kind": ConsentEventKind.STOPPED, "at": datetime(2026, 1, 1)},
    ],
)
def test_incomplete_events_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ConsentEvent(**kwargs)  # type: ignore[arg-type]


kinds = st.sampled_from(
    [
        ConsentEventKind.PAUSED,
        ConsentEventKind.RESUMED,
        ConsentEventKind.STOPPED,
        ConsentEventKind.RESTARTED,
    ]
)


@given(st.lists(st.tuples(kinds, st.integers(0, 1000)), max_size=20))
def test_a_stop_not_followed_by_a_restart_always_silences(
    ops: list[tuple[ConsentEventKind, int]],
) -> None:
    events = [
        ConsentEvent(kind, T0 + timedelta(minutes=i * 1001 + m), until=date(2030, 1, 1))
        for i, (kind, m) in enumerate(ops)
    ]
    state = consent_state(events)
    last_stop_or_restart = [
        k for k, _ in ops if k in (ConsentEventKind.STOPPED, ConsentEventKind.RESTARTED)
    ]
    if last_stop_or_restart and last_stop_or_restart[-1] is ConsentEventKind.STOPPED:
        assert not may_send(state, T0 + timedelta(days=3650), tz=OSLO)


def test_the_pauses_and_stops_are_kept_after_they_end() -> None:
    state = consent_state(
        [
            event(ConsentEventKind.PAUSED, 0, until=date(2026, 11, 10)),
            # The scheduler's resume comes a little after the pause ran out at midnight.
            event(ConsentEventKind.RESUMED, 8 * 24 + 15),
            event(ConsentEventKind.STOPPED, 20 * 24),
            event(ConsentEventKind.RESTARTED, 21 * 24),
        ]
    )
    assert state.status is ConsentState.ACTIVE
    assert not state.held_at(T0 - timedelta(minutes=1), OSLO)
    assert state.held_at(T0, OSLO)
    assert state.held_at(datetime(2026, 11, 10, 22, 59, tzinfo=UTC), OSLO)
    assert not state.held_at(datetime(2026, 11, 10, 23, 0, tzinfo=UTC), OSLO)
    assert state.held_at(T0 + timedelta(days=20, hours=1), OSLO)
    assert not state.held_at(T0 + timedelta(days=21, hours=1), OSLO)


def test_a_pause_while_stopped_neither_lifts_nor_shortens_the_stop() -> None:
    state = consent_state(
        [
            event(ConsentEventKind.STOPPED, 0),
            event(ConsentEventKind.PAUSED, 1, until=date(2026, 11, 3)),
        ]
    )
    assert state.held_at(T0 + timedelta(days=30), OSLO)
