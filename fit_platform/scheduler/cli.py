"""`fit-platform scheduler`: the clock process (register `scheduler` on the console script)."""

from __future__ import annotations

import datetime as dt
import logging
import signal
from importlib import metadata
from typing import Any

import click

from fit_platform.process_settings import start_process


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit (cron, checks).")
@click.option(
    "--no-dispatch", is_flag=True, help="Only create, remind and expire; send from elsewhere."
)
def scheduler(once: bool, no_dispatch: bool) -> None:
    """Run the scheduler clock: enqueue due invitations, queue reminders, expire windows,
    clean up and dispatch the outbox. Exactly one should run; a second creates no
    duplicates."""
    from fit_platform.db import Database
    from fit_platform.messaging.setup import (
        dispatcher_from_settings,
        message_files_folder,
        warn_if_no_channels,
    )
    from fit_platform.scheduler.clock import run_once, scheduler_from_settings

    settings = start_process("scheduler")
    if not no_dispatch:  # a --no-dispatch clock sends nothing itself
        warn_if_no_channels(settings, "scheduler")
    db = Database(settings.database_url)
    dispatcher = None if no_dispatch else dispatcher_from_settings(db, settings)
    escalate_after = dt.timedelta(hours=settings.risk_escalation_hours)
    try:
        if once:
            results = run_once(
                db,
                dispatcher,
                escalate_after,
                min_window=settings.min_answer_window,
                retention_limits=settings.retention,
                message_files=message_files_folder(settings),
                zone=settings.zone,
            )
            _report(results)
            return
        clock = scheduler_from_settings(db, dispatcher, settings)
        if settings.scheduler_metrics_port:
            # Once the clock is built: every job's run and failure series exist at 0 before
            # the first scrape (`clock._guarded`). Served before it, a scrape in between read
            # no series for a job, what an alert on failures reads as "no data".
            _serve_metrics(settings.scheduler_metrics_port)
        # systemd and container runtimes stop a service with SIGTERM, which would end the
        # process on the spot (no line, a job cut off): make it a clean stop like Ctrl+C.
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        log = logging.getLogger("fit_platform.scheduler")
        log.info(
            "scheduler started",
            extra={
                "event": "scheduler_started",
                "jobs": {job.id: job.trigger.interval.total_seconds() for job in clock.get_jobs()},
                "zone": settings.zone.key,
                "version": _version(),
            },
        )
        reason = "stopped"
        try:
            clock.start()
        except KeyboardInterrupt:
            reason = "SIGINT"
        except SystemExit as stop:
            reason = str(stop.code) if isinstance(stop.code, str) else "stopped"
        # The job running now (a dispatch mid-send) finishes; no new one starts.
        clock.shutdown(wait=True)
        log.info("scheduler stopped", extra={"event": "scheduler_stopped", "signal": reason})
    finally:
        if dispatcher is not None:
            dispatcher.close()
        db.dispose()


def _serve_metrics(port: int) -> None:
    """The scheduler's metrics on loopback (Prometheus on the same host, or a sidecar,
    scrapes them). A port already taken, most often by a second scheduler started on the
    same host with the same settings, is the one-line configuration error, not a traceback:
    the operator is told to give each scheduler its own port (docs/deploy.md)."""
    import errno

    from prometheus_client import start_http_server

    from fit_platform.config_error import ConfigurationError
    from fit_platform.process_settings import exit_on_configuration_error

    try:
        start_http_server(port, addr="127.0.0.1")
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        exit_on_configuration_error(
            ConfigurationError(
                f"FIT_SCHEDULER_METRICS_PORT {port} is already in use on 127.0.0.1 (another "
                "scheduler on this host?): give each scheduler its own port, or leave it "
                "unset for a second one"
            ),
            "scheduler",
        )


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends it at once
    raise SystemExit("SIGTERM")


def _version() -> str:
    try:
        return metadata.version("fit_platform")
    except metadata.PackageNotFoundError:  # run from a checkout without installing
        return "unknown"


def _report(results: dict[str, Any]) -> None:
    """One readable line per job on stdout (logfmt), and the same figures as one JSON line
    per job in the log, so a collector that reads either finds every figure by name."""
    from fit_platform.scheduler.job_report import job_figures, report_line

    log = logging.getLogger("fit_platform.scheduler")
    for job, result in results.items():
        figures = job_figures(job, result)
        click.echo(report_line(job, figures))
        # Nested, not spread: a figure named like a LogRecord attribute (`created`, `name`)
        # would make logging raise at INFO.
        log.info(
            "scheduler job ran once",
            extra={"event": "scheduler_job_once", "job": job, "figures": figures},
        )
