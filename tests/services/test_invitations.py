import datetime as dt
import threading

import pytest

from fit_platform.db import Database
from fit_platform.db.models import Invitation, OutboxMessage
from fit_platform.domain.codes import (
    AppointmentStatus,
    ConsentEventKind,
    InvitationState,
    MessageKind,
    OutboxState,
    ScheduleTrigger,
    UnitKind,
)
from fit_platform.services.consent import ConsentChange, record_consent
from fit_platform.services.invitation_common import EnqueueResult
from fit_platform.services.invitations import (
    appointment_changed,
    enqueue_due,
    expire_windows,
    queue_reminders,
)
from tests.support.scheduling import OSLO, RuleSpec, World, oslo

BEFORE = RuleSpec("ors", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=24, window_hours=24)
AFTER = RuleSpec(
    "srs",
    ScheduleTrigger.AFTER_APPOINTMENT,
    offset_hours=1,
    window_hours=48,
    reminder_after_hours=24,
)


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


def test_a_due_invitation_is_stored_with_its_outbox_message(world: World) -> None:
    _, episode = world.patient_with_episode([BEFORE], [oslo(2026, 11, 24, 13)])
    result = enqueue_due(world.db, oslo(2026, 11, 23, 13), zone=OSLO)
    assert (result.invitations, result.messages) == (1, 1)
    [inv] = world.invitations(episode)
    assert inv.slot_key == "appt:1@20261124T1200Z:before_appointment"
    assert inv.due_at == oslo(2026, 11, 23, 13)
    assert inv.expires_at == oslo(2026, 11, 24, 13)
    [msg] = world.outbox()
    assert (msg.dedupe_key, msg.state, msg.next_attempt_at) == (
        f"{inv.id}:invitation:1",
        OutboxState.QUEUED,
        inv.due_at,
    )


def test_nothing_is_due_before_its_time(world: World) -> None:
    world.patient_with_episode([BEFORE], [oslo(2026, 11, 24, 13)])
    assert enqueue_due(world.db, oslo(2026, 11, 23, 12, 59), zone=OSLO).invitations == 0


def test_running_the_tick_again_creates_nothing(world: World) -> None:
    world.patient_with_episode([BEFORE, AFTER], [oslo(2026, 11, 24, 13)])
    for now in (oslo(2026, 11, 23, 13), oslo(2026, 11, 24, 15)):
        assert enqueue_due(world.db, now, zone=OSLO).invitations == 1
        assert enqueue_due(world.db, now, zone=OSLO).invitations == 0
    assert world.count(Invitation) == 2 and world.count(OutboxMessage) == 2


def test_a_second_scheduler_on_the_same_database_creates_no_duplicates(world: World) -> None:
    world.patient_with_episode([BEFORE, AFTER], [oslo(2026, 11, 24, 13)])
    other = Database(world.db.url)
    try:
        for now in (oslo(2026, 11, 23, 13), oslo(2026, 11, 24, 15)):
            enqueue_due(world.db, now, zone=OSLO)
            enqueue_due(other, now, zone=OSLO)
    finally:
        other.dispose()
    assert world.count(Invitation) == 2 and world.count(OutboxMessage) == 2


def test_two_ticks_running_at_the_same_moment_create_each_invitation_and_message_once(
    world: World,
) -> None:
    """Two schedulers overlapping chunk by chunk: whichever inserts a slot first owns it and
    queues its one message; the other's insert of that slot does nothing, and no message
    is queued for an invitation the other created."""
    episodes = [world.patient_with_episode([AFTER], [oslo(2026, 11, 24, 13)])[1] for _ in range(40)]
    other = Database(world.db.url)
    start = threading.Barrier(2)
    results: list[EnqueueResult] = []
    errors: list[BaseException] = []

    def tick(db: Database) -> None:
        try:
            start.wait(10)
            results.append(enqueue_due(db, oslo(2026, 11, 24, 15), chunk_size=3, zone=OSLO))
        except BaseException as exc:  # shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(db,)) for db in (world.db, other)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        other.dispose()
    assert errors == [] and len(results) == 2
    assert sum(r.invitations for r in results) == len(episodes)
    assert sum(r.messages for r in results) == len(episodes)
    assert world.count(Invitation) == len(episodes)
    messages = world.outbox()
    assert len(messages) == len(episodes)
    assert len({m.invitation_id for m in messages}) == len(episodes)


def test_an_evening_invitation_waits_until_quiet_hours_end(world: World) -> None:
    _, episode = world.patient_with_episode([AFTER], [oslo(2026, 11, 24, 20, 30)])
    assert enqueue_due(world.db, oslo(2026, 11, 24, 22), zone=OSLO).invitations == 0
    enqueue_due(world.db, oslo(2026, 11, 25, 8), zone=OSLO)
    [inv] = world.invitations(episode)
    assert inv.due_at == oslo(2026, 11, 25, 8)


def test_a_reminder_is_queued_once_and_only_for_a_sent_invitation(world: World) -> None:
    _, episode = world.patient_with_episode([AFTER], [oslo(2026, 11, 24, 10)])
    enqueue_due(world.db, oslo(2026, 11, 24, 11), zone=OSLO)
    assert queue_reminders(world.db, oslo(2026, 11, 25, 12)) == 0  # never sent
    with world.db.transaction() as s:
        s.get_one(Invitation, world.invitations(episode)[0].id).state = InvitationState.SENT
    assert queue_reminders(world.db, oslo(2026, 11, 25, 10, 59)) == 0
    assert queue_reminders(world.db, oslo(2026, 11, 25, 11)) == 1
    assert queue_reminders(world.db, oslo(2026, 11, 25, 12)) == 0
    reminder = world.outbox()[-1]
    assert reminder.kind is MessageKind.REMINDER
    assert reminder.next_attempt_at == oslo(2026, 11, 25, 11)


def test_an_unanswered_invitation_expires_with_a_reason(world: World) -> None:
    _, sent_ep = world.patient_with_episode([AFTER], [oslo(2026, 11, 24, 10)])
    _, unsent_ep = world.patient_with_episode([AFTER], [oslo(2026, 11, 24, 10)])
    enqueue_due(world.db, oslo(2026, 11, 24, 11), zone=OSLO)
    with world.db.transaction() as s:
        s.get_one(Invitation, world.invitations(sent_ep)[0].id).state = InvitationState.SENT
    assert expire_windows(world.db, oslo(2026, 11, 26, 10, 59)) == 0
    assert expire_windows(world.db, oslo(2026, 11, 26, 11)) == 2
    [sent] = world.invitations(sent_ep)
    [unsent] = world.invitations(unsent_ep)
    assert (sent.state, sent.non_response_reason) == (InvitationState.EXPIRED, "not_opened")
    assert (unsent.state, unsent.non_response_reason) == (InvitationState.EXPIRED, "not_sent")
    unsent_messages = [m for m in world.outbox() if m.invitation_id == unsent.id]
    assert [m.state for m in unsent_messages] == [OutboxState.CANCELLED]


def test_a_moved_appointment_cancels_the_old_invitation_and_gets_a_new_one(world: World) -> None:
    _, episode = world.patient_with_episode([BEFORE], [oslo(2026, 11, 24, 13)])
    enqueue_due(world.db, oslo(2026, 11, 23, 13), zone=OSLO)
    [appointment] = world.appointment_ids(episode)
    world.move_appointment(appointment, starts_at=oslo(2026, 11, 26, 13))
    assert appointment_changed(world.db, appointment, oslo(2026, 11, 23, 14)) == 1
    enqueue_due(world.db, oslo(2026, 11, 25, 13), zone=OSLO)
    old, new = world.invitations(episode)
    assert (old.state, old.non_response_reason) == (
        InvitationState.CANCELLED,
        "appointment_changed",
    )
    assert new.state is InvitationState.SCHEDULED and new.due_at == oslo(2026, 11, 25, 13)
    assert [m.state for m in world.outbox()] == [OutboxState.CANCELLED, OutboxState.QUEUED]


def test_a_cancelled_appointment_cancels_its_invitation_and_nothing_new_comes(world: World) -> None:
    _, episode = world.patient_with_episode([BEFORE], [oslo(2026, 11, 24, 13)])
    enqueue_due(world.db, oslo(2026, 11, 23, 13), zone=OSLO)
    [appointment] = world.appointment_ids(episode)
    world.move_appointment(appointment, status=AppointmentStatus.CANCELLED)
    assert appointment_changed(world.db, appointment, oslo(2026, 11, 23, 14)) == 1
    assert enqueue_due(world.db, oslo(2026, 11, 23, 15), zone=OSLO).invitations == 0


def test_an_unchanged_appointment_keeps_its_invitation(world: World) -> None:
    _, episode = world.patient_with_episode([BEFORE], [oslo(2026, 11, 24, 13)])
    enqueue_due(world.db, oslo(2026, 11, 23, 13), zone=OSLO)
    [appointment] = world.appointment_ids(episode)
    assert appointment_changed(world.db, appointment, oslo(2026, 11, 23, 14)) == 0


def test_stopping_feedback_cancels_every_open_invitation_and_queued_message(world: World) -> None:
    patient, episode = world.patient_with_episode([BEFORE, AFTER], [oslo(2026, 11, 24, 13)])
    enqueue_due(world.db, oslo(2026, 11, 23, 13), zone=OSLO)
    change = ConsentChange(ConsentEventKind.STOPPED)
    result = record_consent(world.db, patient, change, now=oslo(2026, 11, 23, 14), zone=OSLO)
    assert result.cancelled_invitations == 1
    assert [i.state for i in world.invitations(episode)] == [InvitationState.CANCELLED]
    assert [m.state for m in world.outbox()] == [OutboxState.CANCELLED]
    assert enqueue_due(world.db, oslo(2026, 11, 24, 15), zone=OSLO).invitations == 0


def test_a_paused_patient_gets_no_new_invitations_until_the_pause_ends(world: World) -> None:
    daily = RuleSpec("ors", ScheduleTrigger.DAILY, send_time="10:00", window_hours=8)
    world.unit(kind=UnitKind.DAY_PROGRAMME)  # daily rules run at day programmes only
    patient, _ = world.patient_with_episode([daily])
    pause = ConsentChange(ConsentEventKind.PAUSED, paused_until=dt.date(2026, 11, 25))
    record_consent(world.db, patient, pause, now=oslo(2026, 11, 20), zone=OSLO)
    assert (
        enqueue_due(world.db, oslo(2026, 11, 25, 12), zone=OSLO).invitations == 0
    )  # last paused day
    assert enqueue_due(world.db, oslo(2026, 11, 26, 12), zone=OSLO).invitations == 1


def test_a_pause_stored_without_the_consent_service_still_holds_invitations_back(
    world: World,
) -> None:
    daily = RuleSpec("ors", ScheduleTrigger.DAILY, send_time="10:00", window_hours=8)
    world.unit(kind=UnitKind.DAY_PROGRAMME)  # daily rules run at day programmes only
    patient, _ = world.patient_with_episode([daily])
    world.consent_event(
        patient, ConsentEventKind.PAUSED, oslo(2026, 11, 20), paused_until=dt.date(2026, 11, 25)
    )
    assert enqueue_due(world.db, oslo(2026, 11, 24, 12), zone=OSLO).invitations == 0


def _week(world: World, start: dt.datetime, hours: int = 7 * 24) -> None:
    now = start
    for _ in range(hours):
        enqueue_due(world.db, now, zone=OSLO)
        now += dt.timedelta(hours=1)


def test_a_day_programme_asks_on_each_programme_day_in_a_week(world: World) -> None:
    daily = RuleSpec(
        "ors", ScheduleTrigger.DAILY, weekdays="1,2,3,4", send_time="09:00", window_hours=10
    )
    world.unit(kind=UnitKind.DAY_PROGRAMME)
    _, episode = world.patient_with_episode([daily])
    _week(world, oslo(2026, 11, 23))
    days = [i.slot_key for i in world.invitations(episode)]
    assert days == ["day:2026-11-23", "day:2026-11-24", "day:2026-11-25", "day:2026-11-26"]


def test_an_individually_agreed_frequency_in_the_episode_plan_asks_on_fewer_days(
    world: World,
) -> None:
    # The programme runs Monday to Thursday; this patient agreed to Tuesdays and Thursdays.
    agreed = RuleSpec(
        "ors", ScheduleTrigger.DAILY, weekdays="2,4", send_time="09:00", window_hours=10
    )
    world.unit(kind=UnitKind.DAY_PROGRAMME)
    _, episode = world.patient_with_episode([agreed])
    _week(world, oslo(2026, 11, 23))
    assert [i.slot_key for i in world.invitations(episode)] == ["day:2026-11-24", "day:2026-11-26"]


def test_a_weekly_rule_asks_on_the_chosen_day_across_the_autumn_dst_change(world: World) -> None:
    weekly = RuleSpec(
        "ors", ScheduleTrigger.WEEKLY, weekdays="7", send_time="10:00", window_hours=24
    )
    _, episode = world.patient_with_episode([weekly], started_on=dt.date(2026, 10, 1))
    _week(world, oslo(2026, 10, 19, 12), hours=14 * 24)
    invs = world.invitations(episode)
    assert [(i.slot_key, i.due_at) for i in invs] == [
        ("day:2026-10-25", dt.datetime(2026, 10, 25, 9, 0, tzinfo=dt.UTC)),
        ("day:2026-11-01", dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)),
    ]


def test_a_weekly_rule_keeps_local_time_across_the_spring_dst_change(world: World) -> None:
    weekly = RuleSpec(
        "ors", ScheduleTrigger.WEEKLY, weekdays="6,7", send_time="10:00", window_hours=24
    )
    _, episode = world.patient_with_episode([weekly], started_on=dt.date(2026, 3, 1))
    _week(world, oslo(2026, 3, 27), hours=3 * 24)
    assert [i.due_at for i in world.invitations(episode)] == [
        dt.datetime(2026, 3, 28, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC),
    ]


def test_the_minimum_interval_holds_across_ticks(world: World) -> None:
    before = RuleSpec(
        "ors", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=2, min_interval_hours=72
    )
    _, episode = world.patient_with_episode(
        [before], [oslo(2026, 11, 23, 12), oslo(2026, 11, 24, 12), oslo(2026, 11, 27, 12)]
    )
    _week(world, oslo(2026, 11, 22))
    assert [i.due_at for i in world.invitations(episode)] == [
        oslo(2026, 11, 23, 10),
        oslo(2026, 11, 27, 10),
    ]


def test_an_appointment_moved_without_telling_the_scheduler_is_caught_by_the_next_tick(
    world: World,
) -> None:
    _, episode = world.patient_with_episode([BEFORE], [oslo(2026, 11, 24, 13)])
    enqueue_due(world.db, oslo(2026, 11, 23, 13), zone=OSLO)
    [appointment] = world.appointment_ids(episode)
    world.move_appointment(appointment, starts_at=oslo(2026, 11, 26, 13))
    enqueue_due(world.db, oslo(2026, 11, 25, 13), zone=OSLO)
    old, new = world.invitations(episode)
    assert old.state is InvitationState.CANCELLED
    assert new.due_at == oslo(2026, 11, 25, 13)


def test_a_queued_invitation_for_an_appointment_cancelled_since_is_not_sent(world: World) -> None:
    _, episode = world.patient_with_episode([BEFORE], [oslo(2026, 11, 24, 13)])
    enqueue_due(world.db, oslo(2026, 11, 23, 13), zone=OSLO)
    [appointment] = world.appointment_ids(episode)
    world.move_appointment(appointment, status=AppointmentStatus.CANCELLED)
    assert enqueue_due(world.db, oslo(2026, 11, 23, 13, 1), zone=OSLO).invitations == 0
    assert [i.state for i in world.invitations(episode)] == [InvitationState.CANCELLED]
    assert [m.state for m in world.outbox()] == [OutboxState.CANCELLED]
