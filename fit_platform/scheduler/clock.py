"""The scheduler clock: APScheduler 3.x interval jobs that only call services.

Run exactly one clock process in production (`fit-platform scheduler`). A second one by
accident does no harm: every job is idempotent (unique keys, claims with leases), it
only wastes work. Each job is `coalesce=True, max_instances=1`, so a slow run is never
overlapped by the next and missed runs collapse into one.

Every job reads the time from one injected `clock` (the dispatcher carries its own), so a
test can run the whole clock at 06:20 or 22:30 Oslo time whatever the hour it runs at.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from fit_platform.config import RetentionSettings, Settings, default_zone
from fit_platform.db import Database
from fit_platform.db.base import utcnow
from fit_platform.db.failure import database_error, describe
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.file_drop import remove_old_message_files
from fit_platform.messaging.setup import message_files_folder
from fit_platform.metrics import JOB_FAILURES, JOB_RUNS
from fit_platform.services import (
    consent,
    export,
    form_once,
    invitations,
    kept_typing,
    login_throttle,
    retention,
    signal_workflow,
)
from fit_platform.services.retention import RetentionResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intervals:
    """Seconds between runs of each job."""

    enqueue: float = 60
    reminders: float = 60
    expire: float = 300
    clean_up: float = 3600
    resume_pauses: float = 900
    escalate: float = 300
    dispatch: float = 10
    export_summary: float = 3600


DEFAULT_ESCALATION = dt.timedelta(hours=24)
DEFAULT_RETENTION = RetentionSettings()
# The zone of default settings; `fit-platform scheduler` gives the configured one.
DEFAULT_ZONE = default_zone()


def jobs(
    db: Database,
    dispatcher: Dispatcher | None,
    clock: Callable[[], dt.datetime] = utcnow,
    escalate_after: dt.timedelta = DEFAULT_ESCALATION,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
    retention_limits: RetentionSettings = DEFAULT_RETENTION,
    message_files: Path | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> dict[str, Callable[[], Any]]:
    """The clock's jobs by name; each is one service call with the current time.
    `message_files`: the demo's folder of messages written as files, cleaned up too; `zone`:
    the service's time zone (settings), for local days and quiet hours."""
    found: dict[str, Callable[[], Any]] = {
        "enqueue": lambda: invitations.enqueue_due(db, clock(), zone=zone, min_window=min_window),
        "reminders": lambda: invitations.queue_reminders(db, clock()),
        "expire": lambda: invitations.expire_windows(db, clock()),
        "clean_up": lambda: clean_up(db, clock(), retention_limits, message_files),
        "resume_pauses": lambda: consent.resume_ended_pauses(
            db, clock(), zone=zone, min_window=min_window
        ),
        # Risk signals nobody acknowledged in time become visible to the unit lead.
        "escalate": lambda: signal_workflow.escalate_overdue_risk_signals(
            db, after=escalate_after, now=clock()
        ),
        # The service export's summary of closed months (docs/export.md): a new month once a
        # month, a rebuild only when history was imported behind it; otherwise nothing to do.
        "export_summary": lambda: export.refresh_export_summary(db, clock()),
    }
    if dispatcher is not None:
        found["dispatch"] = dispatcher.drain
    return found


@dataclass(frozen=True)
class CleanUpResult:
    """What one clean-up run removed, each figure named (the `--once` report prints them)."""

    closed_messages_cancelled: int
    form_submissions_forgotten: int
    typing_forgotten: int
    login_counts_forgotten: int
    retention: RetentionResult
    message_files_removed: int


def clean_up(
    db: Database,
    now: dt.datetime,
    retention_limits: RetentionSettings,
    message_files: Path | None,
) -> CleanUpResult:
    """The clock's hourly tidy-up: queued messages of closed invitations, old form claims,
    typing nobody came back for after their session ended, old login counts, what is past its
    retention limit, and the demo's old message files."""
    return CleanUpResult(
        closed_messages_cancelled=invitations.clean_up(db, now),
        form_submissions_forgotten=form_once.forget_old_submissions(db, now),
        typing_forgotten=kept_typing.forget_old_typing(db, now),
        login_counts_forgotten=login_throttle.forget_old_address_failures(db, now),
        retention=retention.apply_retention(db, now, retention_limits),
        message_files_removed=(
            remove_old_message_files(message_files, now, retention_limits.outbox_details)
            if message_files
            else 0
        ),
    )


# The jobs that put messages in the outbox, and how many one run put there. A run that
# queued any starts a dispatch round at once: the messages leave right away, not up to a
# dispatch interval later. (The demo's first dispatch round starts together with its first
# enqueue and finds nothing yet; "the scheduler sends the first invitations now" then meant
# ten seconds later.)
QUEUED_MESSAGES: dict[str, Callable[[Any], int]] = {
    "enqueue": lambda result: int(result.messages),
    "reminders": lambda result: int(result),
}


def _one_round_at_a_time(dispatch: Callable[[], Any]) -> Callable[[], None]:
    """`dispatch` run by its interval job or right after a job queued messages, never twice
    at once. A round already under way is left to finish: what it does not claim waits for
    the next interval, as before."""
    running = threading.Lock()

    def run() -> None:
        if not running.acquire(blocking=False):
            return
        try:
            dispatch()
        finally:
            running.release()

    return run


def _then_dispatch(
    job: Callable[[], Any], queued: Callable[[Any], int], dispatch: Callable[[], None]
) -> Callable[[], None]:
    def run() -> None:
        result = job()
        if result is not None and queued(result) > 0:
            dispatch()

    return run


def _guarded(name: str, job: Callable[[], Any]) -> Callable[[], Any]:
    """`job` run so that a failure is logged and counted and the clock goes on; its result,
    or None when it failed."""
    # Both series exist from the start at 0: an alert on failures (docs/operations.md) read
    # "no data" on a healthy scheduler.
    JOB_RUNS.labels(job=name)
    JOB_FAILURES.labels(job=name)

    def run() -> Any:
        JOB_RUNS.labels(job=name).inc()
        try:
            return job()
        except Exception as error:
            # One failed run must not stop the clock; the next run tries again.
            JOB_FAILURES.labels(job=name).inc()
            failure = database_error(error)
            if failure is None:  # a fault in our code: the traceback is what fixes it
                log.exception(
                    "scheduler job failed",
                    extra={"event": "scheduler_job_failed", "job": name},
                )
                return
            # A database outage fails every job every run (dispatch every 10 s): one line
            # each, without the driver's message or a traceback, which quote SQL parameters
            # and key values (db/failure.py), the way the web logs it.
            facts = describe(failure, error)
            log.error(
                "scheduler job failed",
                extra={
                    "event": "scheduler_job_failed",
                    "job": name,
                    "error": facts.error,
                    "reason": facts.reason,
                    "sqlstate": facts.sqlstate,
                    "where": facts.where,
                },
            )

    return run


def build_scheduler(
    db: Database,
    dispatcher: Dispatcher | None,
    *,
    blocking: bool = False,
    intervals: Intervals = Intervals(),
    escalate_after: dt.timedelta = DEFAULT_ESCALATION,
    clock: Callable[[], dt.datetime] = utcnow,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
    retention_limits: RetentionSettings = DEFAULT_RETENTION,
    message_files: Path | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> BaseScheduler:
    """A scheduler with the interval jobs added, not yet started. `clock` is the time the
    jobs work with; when they run is APScheduler's own (real) timer."""
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone=dt.UTC) if blocking else BackgroundScheduler(timezone=dt.UTC)
    )
    found = jobs(
        db,
        dispatcher,
        clock,
        escalate_after=escalate_after,
        min_window=min_window,
        retention_limits=retention_limits,
        message_files=message_files,
        zone=zone,
    )
    runs = {name: _guarded(name, job) for name, job in found.items()}
    if "dispatch" in runs:
        dispatch = _one_round_at_a_time(runs["dispatch"])
        runs["dispatch"] = dispatch
        for name, queued in QUEUED_MESSAGES.items():
            runs[name] = _then_dispatch(runs[name], queued, dispatch)
    for name, run in runs.items():
        scheduler.add_job(
            run,
            "interval",
            seconds=getattr(intervals, name),
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            next_run_time=utcnow(),
            misfire_grace_time=None,
        )
    return scheduler


def scheduler_from_settings(
    db: Database, dispatcher: Dispatcher | None, settings: Settings, *, blocking: bool = True
) -> BaseScheduler:
    """The clock `fit-platform scheduler` runs, with every setting that shapes it applied
    (kept apart from the command so a test can check that none is dropped)."""
    return build_scheduler(
        db,
        dispatcher,
        blocking=blocking,
        intervals=Intervals(enqueue=settings.enqueue_interval_seconds),
        escalate_after=dt.timedelta(hours=settings.risk_escalation_hours),
        min_window=settings.min_answer_window,
        retention_limits=settings.retention,
        message_files=message_files_folder(settings),
        zone=settings.zone,
    )


def run_once(
    db: Database,
    dispatcher: Dispatcher | None,
    escalate_after: dt.timedelta = DEFAULT_ESCALATION,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
    retention_limits: RetentionSettings = DEFAULT_RETENTION,
    message_files: Path | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> dict[str, Any]:
    """Every job once, in order (for cron-style use and for checking a setup)."""
    found = jobs(
        db,
        dispatcher,
        clock,
        escalate_after=escalate_after,
        min_window=min_window,
        retention_limits=retention_limits,
        message_files=message_files,
        zone=zone,
    )
    return {name: job() for name, job in found.items()}
