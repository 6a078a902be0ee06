"""Invitations that left later than planned (an appointment entered after the fact, the
scheduler or the dispatcher down): the reminder and the minimum interval count from when the
invitation really left, not from its planned time. Every job runs as the scheduler runs it
(`run_once`), the messages go to a loopback SMS provider, the clock is injected."""

import datetime as dt

from fit_platform.db import Database
from fit_platform.domain.codes import Channel, MessageKind, OutboxState, ScheduleTrigger
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint
from tests.support.scheduling import OSLO, Clock, RuleSpec, World, oslo

# After a session at 09:00 the alliance form is planned for 10:00, its reminder four hours
# after it left.
AFTER = RuleSpec(
    "srs",
    ScheduleTrigger.AFTER_APPOINTMENT,
    offset_hours=1,
    window_hours=48,
    reminder_after_hours=4,
)
# The PHQ-9 the day before each session, never twice within 72 hours.
BEFORE = RuleSpec(
    "phq9",
    ScheduleTrigger.BEFORE_APPOINTMENT,
    offset_hours=24,
    window_hours=48,
    min_interval_hours=72,
)


class Ticks:
    """The scheduler's jobs, run at the clock's time; the dispatcher only while it is up."""

    def __init__(self, db: Database, sms: HttpSmsChannel, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self.dispatcher = Dispatcher(
            db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock
        )

    def at(self, when: dt.datetime, *, dispatcher_up: bool = True) -> None:
        self.clock.now = when
        run_once(self.db, self.dispatcher if dispatcher_up else None, clock=self.clock, zone=OSLO)


def _sent_kinds(world: World) -> list[MessageKind]:
    return [m.kind for m in world.outbox() if m.state is OutboxState.SENT]


def test_a_reminder_waits_its_delay_after_an_invitation_found_late(
    db: Database, sms_endpoint: SmsEndpoint
) -> None:
    world = World(db)
    clock = Clock(oslo(2026, 12, 3, 13, 59))
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        ticks = Ticks(db, sms, clock)
        # The 09:00 session is entered at 13:59: its 10:00 form is found late and goes at once.
        world.patient_with_episode([AFTER], [oslo(2026, 12, 3, 9)])
        ticks.at(oslo(2026, 12, 3, 13, 59))
        [invitation] = world.invitations()
        assert invitation.sent_at == oslo(2026, 12, 3, 13, 59)
        assert invitation.reminder_at == oslo(2026, 12, 3, 17, 59)
        for when in (oslo(2026, 12, 3, 14), oslo(2026, 12, 3, 14, 1), oslo(2026, 12, 3, 17, 58)):
            ticks.at(when)
            assert len(sms_endpoint.accepted) == 1, when
        ticks.at(oslo(2026, 12, 3, 17, 59))
    assert _sent_kinds(world) == [MessageKind.INVITATION, MessageKind.REMINDER]
    assert len(sms_endpoint.accepted) == 2


def test_a_reminder_is_timed_from_the_send_when_the_dispatcher_was_down(
    db: Database, sms_endpoint: SmsEndpoint
) -> None:
    world = World(db)
    clock = Clock(oslo(2026, 12, 3, 10))
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        ticks = Ticks(db, sms, clock)
        world.patient_with_episode([AFTER], [oslo(2026, 12, 3, 9)])
        # Planned and queued at 10:00 with its reminder at 14:00; nothing sends until 18:30.
        ticks.at(oslo(2026, 12, 3, 10), dispatcher_up=False)
        assert world.invitations()[0].reminder_at == oslo(2026, 12, 3, 14)
        ticks.at(oslo(2026, 12, 3, 18, 30))
        assert len(sms_endpoint.accepted) == 1
        # Four hours later is 22:30, in quiet hours: the reminder waits until 08:00.
        for when in (
            oslo(2026, 12, 3, 18, 31),
            oslo(2026, 12, 3, 22, 30),
            oslo(2026, 12, 4, 2),
            oslo(2026, 12, 4, 7, 59),
        ):
            ticks.at(when)
            assert len(sms_endpoint.accepted) == 1, when
        assert world.invitations()[0].reminder_at == oslo(2026, 12, 4, 8)
        ticks.at(oslo(2026, 12, 4, 8))
    assert _sent_kinds(world) == [MessageKind.INVITATION, MessageKind.REMINDER]


def test_no_reminder_when_its_delay_after_the_real_send_is_past_the_window(
    db: Database, sms_endpoint: SmsEndpoint
) -> None:
    short = RuleSpec(
        "srs",
        ScheduleTrigger.AFTER_APPOINTMENT,
        offset_hours=1,
        window_hours=6,
        reminder_after_hours=4,
    )
    world = World(db)
    clock = Clock(oslo(2026, 12, 3, 10))
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        ticks = Ticks(db, sms, clock)
        world.patient_with_episode([short], [oslo(2026, 12, 3, 9)])
        ticks.at(oslo(2026, 12, 3, 10), dispatcher_up=False)
        # Sent at 13:00, the window closes at 16:00: a reminder at 17:00 would be too late.
        ticks.at(oslo(2026, 12, 3, 13))
        for when in (oslo(2026, 12, 3, 14), oslo(2026, 12, 3, 15, 59)):
            ticks.at(when)
        assert world.invitations()[0].reminder_at is None
    assert _sent_kinds(world) == [MessageKind.INVITATION]


def test_the_minimum_interval_counts_from_when_the_earlier_one_really_left(
    db: Database, sms_endpoint: SmsEndpoint
) -> None:
    world = World(db)
    clock = Clock(oslo(2026, 12, 3, 14))
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        ticks = Ticks(db, sms, clock)
        # Sessions Friday 14:00 and Tuesday 08:00: PHQ-9s planned Thursday 14:00 and Monday 08:00.
        world.patient_with_episode([BEFORE], [oslo(2026, 12, 4, 14), oslo(2026, 12, 8, 8)])
        ticks.at(oslo(2026, 12, 3, 14), dispatcher_up=False)
        # The first leaves Friday 11:04, when sending works again.
        ticks.at(oslo(2026, 12, 4, 11, 4))
        assert len(sms_endpoint.accepted) == 1
        # Monday 08:00 is 69 hours later: the second is held until Monday 11:04.
        for when in (oslo(2026, 12, 7, 8), oslo(2026, 12, 7, 9), oslo(2026, 12, 7, 11, 3)):
            ticks.at(when)
            assert len(sms_endpoint.accepted) == 1, when
            assert len(world.invitations()) == 1
        ticks.at(oslo(2026, 12, 7, 11, 4))
    first, second = world.invitations()
    assert first.sent_at == oslo(2026, 12, 4, 11, 4)
    assert second.sent_at == oslo(2026, 12, 7, 11, 4)
    assert second.sent_at - first.sent_at == dt.timedelta(hours=72)
    assert len(sms_endpoint.accepted) == 2
