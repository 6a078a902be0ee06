import datetime as dt
import json
import logging
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from click.testing import CliRunner

from fit_platform.config import load_settings
from fit_platform.db import Database
from fit_platform.domain.codes import Channel, OutboxState, ScheduleTrigger
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.cli import scheduler as scheduler_command
from fit_platform.scheduler.clock import (
    Intervals,
    build_scheduler,
    jobs,
    run_once,
    scheduler_from_settings,
)
from tests.messaging.conftest import SmsEndpoint
from tests.support.scheduling import RuleSpec, World

AFTER = RuleSpec("srs", ScheduleTrigger.AFTER_APPOINTMENT, offset_hours=1, window_hours=48)
FAST = Intervals(
    enqueue=0.1, reminders=0.1, expire=0.1, clean_up=0.1, resume_pauses=0.1, dispatch=0.1
)


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "clock.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


def an_invitation_due_now(db: Database) -> None:
    # Quiet hours off so the test does not depend on the time of day it runs.
    World(db).patient_with_episode(
        [AFTER], [dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)], quiet=("00:00", "00:00")
    )


def wait_for_a_text(endpoint: SmsEndpoint, seconds: float = 10) -> None:
    """Until the SMS endpoint has taken a message, or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while not endpoint.accepted and time.monotonic() < deadline:
        time.sleep(0.05)


def test_every_job_is_an_interval_job_that_never_overlaps_itself(sqlite_db: Database) -> None:
    clock = build_scheduler(sqlite_db, None)
    jobs = {job.id: job for job in clock.get_jobs()}
    assert set(jobs) == {
        "enqueue",
        "reminders",
        "expire",
        "clean_up",
        "resume_pauses",
        "escalate",
        "export_summary",
    }
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.trigger.interval.total_seconds() > 0


def test_the_clock_looks_for_due_invitations_as_often_as_the_setting_says(
    sqlite_db: Database,
) -> None:
    base = {"FIT_ENV": "test"}
    for env, seconds in (({}, 60), ({"FIT_ENQUEUE_INTERVAL_SECONDS": "5"}, 5)):
        clock = scheduler_from_settings(
            sqlite_db, None, load_settings({**base, **env}), blocking=False
        )
        enqueue = clock.get_job("enqueue")
        assert enqueue is not None
        assert enqueue.trigger.interval.total_seconds() == seconds


def test_the_running_clock_creates_and_sends_a_due_invitation_once(
    sqlite_db: Database, sms_endpoint: SmsEndpoint
) -> None:
    an_invitation_due_now(sqlite_db)
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        dispatcher = Dispatcher(sqlite_db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}")
        fast = Intervals(
            enqueue=0.1, reminders=0.1, expire=0.1, clean_up=0.1, resume_pauses=0.1, dispatch=0.1
        )
        clock = build_scheduler(sqlite_db, dispatcher, intervals=fast)
        clock.start()
        try:
            wait_for_a_text(sms_endpoint)
            time.sleep(0.5)  # a few more ticks
        finally:
            clock.shutdown(wait=True)
    assert len(sms_endpoint.accepted) == 1
    assert [m.state for m in World(sqlite_db).outbox()] == [OutboxState.SENT]


def test_messages_an_enqueue_round_queued_leave_at_once_not_a_dispatch_interval_later(
    sqlite_db: Database, sms_endpoint: SmsEndpoint
) -> None:
    """The dispatch job runs every hour here: only the enqueue round that queued the message
    can have sent it within seconds."""
    an_invitation_due_now(sqlite_db)
    before_it_was_due = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    now_due = threading.Event()

    def clock() -> dt.datetime:
        return dt.datetime.now(dt.UTC) if now_due.is_set() else before_it_was_due

    first_dispatch_done = threading.Event()

    def executed(event: JobExecutionEvent) -> None:
        if event.job_id == "dispatch":
            first_dispatch_done.set()

    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        dispatcher = Dispatcher(
            sqlite_db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock
        )
        hourly_dispatch = Intervals(
            enqueue=0.2, reminders=0.2, expire=60, clean_up=60, resume_pauses=60, dispatch=3600
        )
        scheduler = build_scheduler(sqlite_db, dispatcher, intervals=hourly_dispatch, clock=clock)
        scheduler.add_listener(executed, EVENT_JOB_EXECUTED)
        scheduler.start()
        try:
            # The dispatch job's own first round (at start) has found nothing to send.
            assert first_dispatch_done.wait(10)
            assert sms_endpoint.accepted == []
            now_due.set()
            wait_for_a_text(sms_endpoint)
        finally:
            scheduler.shutdown(wait=True)
    assert len(sms_endpoint.accepted) == 1
    assert [m.state for m in World(sqlite_db).outbox()] == [OutboxState.SENT]


def test_running_every_job_once_twice_sends_once(
    sqlite_db: Database, sms_endpoint: SmsEndpoint
) -> None:
    an_invitation_due_now(sqlite_db)
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        dispatcher = Dispatcher(sqlite_db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}")
        first = run_once(sqlite_db, dispatcher)
        run_once(sqlite_db, dispatcher)
    assert first["enqueue"].invitations == 1 and first["dispatch"].sent == 1
    assert len(sms_endpoint.accepted) == 1


@pytest.fixture
def keep_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_the_scheduler_command_runs_every_job_once_from_the_settings(
    sqlite_db: Database, sms_endpoint: SmsEndpoint, tmp_path: Path, keep_root_logging: None
) -> None:
    an_invitation_due_now(sqlite_db)
    env = {
        "FIT_ENV": "test",
        "FIT_DATABASE_URL": sqlite_db.url,
        "FIT_INSTANCE_PATH": str(tmp_path / "instance"),
        "FIT_SMS_URL": sms_endpoint.base_url,
        "FIT_SMS_TOKEN": sms_endpoint.token,
        "FIT_LOG_LEVEL": "INFO",
    }
    result = CliRunner().invoke(scheduler_command, ["--once"], env=env)
    assert result.exit_code == 0, result.output
    assert len(sms_endpoint.accepted) == 1
    assert "/p/" in sms_endpoint.accepted[0]["text"]
    # What the operator reads: one line per job, every figure named, nothing but key=value.
    lines = {}
    for line in result.stdout.splitlines():
        pairs = dict(pair.split("=", 1) for pair in line.split(" "))
        lines[pairs.pop("job")] = pairs
    assert list(lines) == [*jobs(sqlite_db, None), "dispatch"]
    assert lines["enqueue"] == {"candidates": "1", "invitations": "1", "messages": "1"}
    assert lines["dispatch"]["sent"] == "1" and lines["dispatch"]["failed"] == "0"
    assert lines["reminders"] == {"reminders_queued": "0"}
    assert lines["clean_up"]["link_tokens_deleted"] == "0"
    # The same figures in the JSON log, for a collector that reads the log.
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    ran = {line["job"]: line for line in logged if line.get("event") == "scheduler_job_once"}
    assert ran["dispatch"]["level"] == "INFO" and ran["dispatch"]["figures"]["sent"] == 1
    assert set(ran) == set(lines)


def test_the_clock_escalates_a_risk_signal_nobody_acknowledged_in_time(db: Database) -> None:
    from fit_platform.db.models import Signal
    from fit_platform.domain.signals import SignalCode
    from tests.support.clinical import add_signal
    from tests.support.factories import make_world

    world = make_world(db)
    now = dt.datetime.now(dt.UTC)
    overdue = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=now - dt.timedelta(hours=30))
    fresh = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=now - dt.timedelta(hours=2))
    results = run_once(db, None, escalate_after=dt.timedelta(hours=24))
    assert results["escalate"] == 1
    with db.session() as session:
        assert session.get(Signal, overdue).escalated_at is not None  # type: ignore[union-attr]
        assert session.get(Signal, fresh).escalated_at is None  # type: ignore[union-attr]


def test_the_jobs_work_with_the_injected_clock_not_the_wall_clock(
    sqlite_db: Database, sms_endpoint: SmsEndpoint
) -> None:
    from tests.support.scheduling import Clock, oslo

    # Due at 11:00 on 24 November 2026; the clock says 11:05 whatever the hour the test runs.
    World(sqlite_db).patient_with_episode([AFTER], [oslo(2026, 11, 24, 10)])
    clock = Clock(oslo(2026, 11, 24, 11, 5))
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        dispatcher = Dispatcher(
            sqlite_db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock
        )
        scheduler = build_scheduler(sqlite_db, dispatcher, clock=clock, intervals=FAST)
        scheduler.start()
        try:
            wait_for_a_text(sms_endpoint)
        finally:
            scheduler.shutdown(wait=True)
    assert len(sms_endpoint.accepted) == 1
    [invitation] = World(sqlite_db).invitations()
    assert invitation.sent_at == clock.now


def test_an_appointment_at_the_edge_of_the_calendar_does_not_stop_the_tick(
    db: Database, sms_endpoint: SmsEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.scheduling import Clock, RuleSpec, oslo

    rules = [
        AFTER,
        RuleSpec("phq9", ScheduleTrigger.FIRST_SESSION, offset_hours=24),
        RuleSpec("gad7", ScheduleTrigger.LAST_SESSION, offset_hours=24),
    ]
    world = World(db)
    world.patient_with_episode(
        rules,
        [
            dt.datetime(1, 1, 1, tzinfo=dt.UTC),
            oslo(2026, 12, 3, 9),
            dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC),
        ],
        ended_on=dt.date(2026, 12, 31),
    )
    world.patient_with_episode([AFTER], [oslo(2026, 12, 3, 9)])
    clock = Clock(oslo(2026, 12, 3, 10, 5))
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as sms:
        dispatcher = Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)
        for _ in range(2):  # every tick, not only the first
            results = run_once(db, dispatcher, clock=clock)
            clock.advance(minutes=1)
    assert results["enqueue"].invitations == 0
    # Both patients get the invitation after their 09:00 session.
    assert len(sms_endpoint.accepted) == 2
    assert "appointment left out of scheduling" in caplog.text
