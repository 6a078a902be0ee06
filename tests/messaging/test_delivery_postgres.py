"""Exactly-once delivery against one PostgreSQL: concurrent schedulers and dispatchers over
a simulated week, and the database restarting in the middle of a dispatch."""

import datetime as dt
import os
import shlex
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from fit_platform.db import Database
from fit_platform.db.models import Episode, Invitation, OutboxMessage
from fit_platform.domain.codes import (
    Channel,
    ConsentEventKind,
    OutboxState,
    ScheduleTrigger,
    UnitKind,
)
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.messaging.dispatcher import Dispatcher, DispatcherSettings
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.services.consent import ConsentChange, record_consent
from fit_platform.services.invitations import (
    enqueue_due,
    expire_windows,
    queue_reminders,
)
from tests.messaging.conftest import SmsEndpoint
from tests.support.empty_database import empty_postgres
from tests.support.postgres import _pg_bin
from tests.support.scheduling import OSLO, Clock, RuleSpec, World, oslo

pytestmark = pytest.mark.postgres_only

MONDAY = oslo(2026, 11, 23)
RULES = {
    "outpatient": [
        RuleSpec(
            "ors",
            ScheduleTrigger.BEFORE_APPOINTMENT,
            offset_hours=20,
            window_hours=20,
            min_interval_hours=48,
        ),
        RuleSpec(
            "srs",
            ScheduleTrigger.AFTER_APPOINTMENT,
            offset_hours=1,
            window_hours=48,
            reminder_after_hours=20,
        ),
    ],
    "day": [
        RuleSpec(
            "ors", ScheduleTrigger.DAILY, send_time="09:00", window_hours=8, reminder_after_hours=4
        )
    ],
    "weekly": [
        RuleSpec(
            "core10",
            ScheduleTrigger.WEEKLY,
            weekdays="1,4",
            send_time="20:30",
            window_hours=30,
            reminder_after_hours=14,
        )
    ],
}


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    yield db
    db.dispose()
    empty_postgres(postgres_url)


def sms_channel(endpoint: SmsEndpoint) -> HttpSmsChannel:
    return HttpSmsChannel(SmsHttpConfig(endpoint.base_url, endpoint.token, 2.0))


# The schedulers and dispatchers run on a half-hour grid of the week, but only at the ticks at
# which something can change (81 of the 336): at every other tick each of them found nothing
# to do, and those idle rounds were most of the test's time. The ticks kept give the same
# invitations and messages, in the same states at the same times, as every tick did.
TICK = dt.timedelta(minutes=30)
WEEK = [MONDAY.astimezone(OSLO).date() + dt.timedelta(days=d) for d in range(7)]


def at(day: dt.date, clock_time: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(clock_time), OSLO).astimezone(dt.UTC)


def rule_times(rules: list[RuleSpec], appointments: list[dt.datetime]) -> set[dt.datetime]:
    """When `rules` can change what is due in the week: each slot's send time (an appointment
    moved by the rule's offset, or a day rule's send time on every day, its weekdays deciding
    which days send) and the moment just after which a message would leave too little time
    to answer (a slot held back until then is recorded as not sent)."""
    slots: list[tuple[dt.datetime, RuleSpec]] = []
    for rule in rules:
        offset = dt.timedelta(hours=rule.offset_hours)
        if rule.trigger is ScheduleTrigger.BEFORE_APPOINTMENT:
            slots += [(a - offset, rule) for a in appointments]
        elif rule.trigger is ScheduleTrigger.AFTER_APPOINTMENT:
            slots += [(a + offset, rule) for a in appointments]
        else:
            slots += [(at(day, rule.send_time or "10:00"), rule) for day in WEEK]
    last_useful = DEFAULT_MIN_ANSWER_WINDOW - dt.timedelta(microseconds=1)
    return {send for send, _ in slots} | {
        send + dt.timedelta(hours=rule.window_hours) - last_useful for send, rule in slots
    }


def next_tick(
    db: Database, now: dt.datetime, timetable: set[dt.datetime], end: dt.datetime
) -> dt.datetime:
    """The first tick of the grid after `now` at which something can change: a time from the
    world's `timetable`, or one the schedulers and dispatchers stored (a message's next
    attempt or the end of its claim, a reminder's time, the end of an answer window);
    `end` when there is none."""
    with db.session() as s:
        stored = s.execute(
            select(
                select(func.min(OutboxMessage.next_attempt_at))
                .where(OutboxMessage.state == OutboxState.QUEUED)
                .scalar_subquery(),
                select(func.min(OutboxMessage.claimed_until))
                .where(OutboxMessage.state == OutboxState.SENDING)
                .scalar_subquery(),
                select(func.min(Invitation.reminder_at))
                .where(Invitation.reminder_at > now)
                .scalar_subquery(),
                select(func.min(Invitation.expires_at))
                .where(Invitation.expires_at > now)
                .scalar_subquery(),
            )
        ).one()
    # A message left due now is picked up at the very next tick, as before.
    soonest = min(
        [max(t, now + TICK) for t in stored if t is not None] + [t for t in timetable if t > now],
        default=end,
    )
    return MONDAY + -(-(soonest - MONDAY) // TICK) * TICK


def in_parallel(*jobs: Callable[[], object]) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_two_schedulers_and_two_dispatchers_deliver_every_message_exactly_once_over_a_week(
    pg: Database, sms_endpoint: SmsEndpoint
) -> None:
    world = World(pg)
    # Daily rules run at a day programme only; the others share an outpatient clinic.
    day_programme, outpatient = world.unit("Dagtilbud", UnitKind.DAY_PROGRAMME), world.unit()
    patients: dict[int, str] = {}
    timetable: set[dt.datetime] = set()
    for i in range(12):
        kind = ("outpatient", "day", "weekly")[i % 3]
        world.unit_id = day_programme if kind == "day" else outpatient
        appointments = (
            [MONDAY + dt.timedelta(days=d, hours=9 + i % 6) for d in (1, 3, 4)]
            if kind == "outpatient"
            else []
        )
        patient, _ = world.patient_with_episode(RULES[kind], appointments)
        patients[patient] = kind
        timetable |= rule_times(RULES[kind], appointments)
    stopped, paused = 1, 2
    stop_at, pause_at = (
        MONDAY + dt.timedelta(days=2, hours=12),
        MONDAY + dt.timedelta(days=1, hours=12),
    )
    # The consent changes, and the quiet hours starting and ending each day.
    timetable |= {stop_at, pause_at} | {at(d, t) for d in WEEK for t in ("21:00", "08:00")}

    clock = Clock(MONDAY)
    week_end = MONDAY + dt.timedelta(days=7)
    databases = [Database(pg.url) for _ in range(4)]
    channels = [sms_channel(sms_endpoint) for _ in range(2)]
    settings = DispatcherSettings(batch_size=5)
    dispatchers = [
        Dispatcher(
            databases[2 + n],
            {Channel.SMS: channels[n]},
            lambda t: f"https://x/a/{t}",
            settings,
            clock,
        )
        for n in range(2)
    ]

    def scheduler(db: Database) -> Callable[[], None]:
        def tick() -> None:
            enqueue_due(db, clock.now, zone=OSLO)
            queue_reminders(db, clock.now)
            expire_windows(db, clock.now)

        return tick

    try:
        while clock.now < week_end:
            if clock.now == stop_at:
                world.consent_event(stopped, ConsentEventKind.STOPPED, clock.now)
            if clock.now == pause_at:
                pause = ConsentChange(ConsentEventKind.PAUSED, paused_until=dt.date(2026, 11, 27))
                record_consent(pg, paused, pause, now=clock.now, zone=OSLO)
            in_parallel(scheduler(databases[0]), scheduler(databases[1]))
            in_parallel(dispatchers[0].drain, dispatchers[1].drain)
            clock.now = next_tick(pg, clock.now, timetable, week_end)
    finally:
        for channel in channels:
            channel.close()
        for db in databases:
            db.dispose()

    references = sms_endpoint.accepted_references()
    assert references, "the week produced no messages"
    assert [r for r, n in Counter(references).items() if n > 1] == []
    with pg.session() as s:
        sent = s.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.patient_id, OutboxMessage.sent_at).where(
                OutboxMessage.state == OutboxState.SENT
            )
        ).all()
        assert sorted(r.dedupe_key for r in sent) == sorted(references)
        assert (
            s.scalar(select(OutboxMessage.id).where(OutboxMessage.state == OutboxState.SENDING))
            is None
        )
        invitations = s.execute(
            select(Invitation.episode_id, Invitation.instrument_id, Invitation.slot_key)
        ).all()
        assert len(invitations) == len(set(invitations))
        assert {p for (p,) in s.execute(select(Episode.patient_id))} == set(patients)
    after_stop = [r for r in sent if r.patient_id == stopped and r.sent_at >= stop_at]
    during_pause = [
        r for r in sent if r.patient_id == paused and pause_at <= r.sent_at < oslo(2026, 11, 28)
    ]
    assert after_stop == [] and during_pause == []
    kinds = Counter(r.dedupe_key.split(":")[1] for r in sent)
    assert kinds["invitation"] > 20 and kinds["reminder"] > 5


# --- database restart ------------------------------------------------------------------------


def restart_postgres(db: Database, *, stop_only: bool = False) -> Callable[[], None]:
    """Restart (or stop, returning a function that starts) the test server. A fast shutdown
    disconnects every client at once; "immediate" would also drop commits the test server
    has not flushed (it runs with synchronous_commit=off), which is not what is tested."""
    with db.engine.connect() as connection:
        data_dir = connection.execute(text("SHOW data_directory")).scalar_one()
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    pg_ctl = str(_pg_bin() / "pg_ctl")

    def run(*args: str) -> None:
        # The server's output goes to its log file: a pipe it held open would never close.
        subprocess.run(
            [
                *prefix,
                pg_ctl,
                "-D",
                data_dir,
                "-l",
                f"{data_dir}/server.log",
                "-w",
                "-t",
                "60",
                *args,
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    if stop_only:
        # `start`, unlike `restart`, does not reuse the options the server was started with.
        words = shlex.split(Path(data_dir, "postmaster.opts").read_text())[1:]
        options = shlex.join(w for i, w in enumerate(words) if "-D" not in (w, words[i - 1]))
        run("-m", "fast", "stop")
        return lambda: run("start", "-o", options)
    run("-m", "fast", "restart")
    return lambda: None


@pytest.fixture
def own_server() -> None:
    if os.environ.get("FIT_TEST_DATABASE_URL"):
        pytest.skip("restarts the server: only with the test run's own PostgreSQL")


def five_invitations(world: World) -> None:
    rule = RuleSpec("srs", ScheduleTrigger.AFTER_APPOINTMENT, offset_hours=1, window_hours=48)
    for _ in range(5):
        world.patient_with_episode([rule], [oslo(2026, 11, 24, 10)])
    enqueue_due(world.db, oslo(2026, 11, 24, 11), zone=OSLO)


def test_a_database_restart_mid_dispatch_loses_no_message_and_doubles_none(
    pg: Database, sms_endpoint: SmsEndpoint, own_server: None
) -> None:
    world = World(pg)
    five_invitations(world)
    clock = Clock(oslo(2026, 11, 24, 11))
    channel = sms_channel(sms_endpoint)
    d = Dispatcher(
        Database(pg.url), {Channel.SMS: channel}, lambda t: f"https://x/a/{t}", clock=clock
    )
    restarted: list[int] = []

    def restart_once(outbox_id: int) -> None:
        if not restarted:
            restarted.append(outbox_id)
            restart_postgres(pg)

    d.after_send = restart_once
    try:
        d.drain()
    finally:
        channel.close()
        d.db.dispose()
    assert restarted
    assert sorted(sms_endpoint.accepted_references()) == sorted(
        m.dedupe_key for m in world.outbox()
    )
    assert {m.state for m in world.outbox()} == {OutboxState.SENT}


def test_a_database_down_when_recording_a_send_is_reconciled_once_it_is_back(
    pg: Database, sms_endpoint: SmsEndpoint, own_server: None
) -> None:
    world = World(pg)
    five_invitations(world)
    clock = Clock(oslo(2026, 11, 24, 11))
    channel = sms_channel(sms_endpoint)
    first = Dispatcher(
        Database(pg.url), {Channel.SMS: channel}, lambda t: f"https://x/a/{t}", clock=clock
    )
    start_again: list[Callable[[], None]] = []

    def stop_database(outbox_id: int) -> None:
        if not start_again:
            start_again.append(restart_postgres(pg, stop_only=True))

    first.after_send = stop_database
    try:
        with pytest.raises(Exception, match=r"(?i)connect|terminat|closed|server"):
            first.drain()
    finally:
        start_again[0]()
        first.db.dispose()
    pg.engine.dispose()
    clock.advance(minutes=3)
    second = Dispatcher(
        Database(pg.url), {Channel.SMS: channel}, lambda t: f"https://x/a/{t}", clock=clock
    )
    try:
        result = second.drain()
    finally:
        channel.close()
        second.db.dispose()
    assert result.reconciled >= 1
    assert sorted(sms_endpoint.accepted_references()) == sorted(
        m.dedupe_key for m in world.outbox()
    )
    assert {m.state for m in world.outbox()} == {OutboxState.SENT}
