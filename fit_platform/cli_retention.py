"""`fit-platform retention`: apply the retention limits now, and the database owner's purge of
access-log rows past their limit (docs/operations.md, "Retention")."""

from __future__ import annotations

import datetime as dt

import click

from fit_platform.process_settings import start_process


@click.group("retention")
def retention() -> None:
    """Retention of link tokens, message details, one-time codes and the access log."""


@retention.command("apply")
def apply_command() -> None:
    """Apply the retention limits now (the scheduler's clean-up job does this every hour)."""
    from fit_platform.db import Database
    from fit_platform.services.retention import apply_retention

    settings = start_process("retention")
    db = Database(settings.database_url)
    try:
        result = apply_retention(db, dt.datetime.now(dt.UTC), settings.retention)
    finally:
        db.dispose()
    # One logfmt line, as `fit-platform scheduler --once` prints its clean-up job's figures,
    # so one parser reads both (it printed "name: value" lines).
    from fit_platform.scheduler.job_report import report_line

    click.echo(report_line("retention", dict(result.__dict__)))


@retention.command("purge-access-log")
@click.option(
    "--owner-url",
    envvar="FIT_DATABASE_OWNER_URL",
    help="URL of the role that owns the tables (default: FIT_DATABASE_OWNER_URL, then "
    "FIT_DATABASE_URL). Never the application's role.",
)
@click.option("--dry-run", is_flag=True, help="Only count the rows that would be deleted.")
def purge_access_log_command(owner_url: str | None, dry_run: bool) -> None:
    """Delete access-log rows older than FIT_RETENTION_ACCESS_LOG_YEARS, as the database owner.

    The access log refuses deletes from the application; only the owner of the table can
    switch its guard off, for the length of this one transaction."""
    from sqlalchemy import func, select

    from fit_platform.db.models import AccessLog
    from fit_platform.db.session import make_engine
    from fit_platform.services.retention import (
        PurgeRefused,
        access_log_cutoff,
        purge_access_log,
    )

    settings = start_process("retention")
    years = settings.retention_access_log_years
    now = dt.datetime.now(dt.UTC)
    engine = make_engine(owner_url or settings.database_url)
    try:
        if dry_run:
            with engine.connect() as connection:
                due = connection.scalar(
                    select(func.count())
                    .select_from(AccessLog)
                    .where(AccessLog.at < access_log_cutoff(now, years))
                )
            click.echo(f"{due or 0} access-log rows are older than {years} years.")
            return
        try:
            deleted = purge_access_log(engine, now, years)
        except PurgeRefused as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Deleted {deleted} access-log rows older than {years} years.")
    finally:
        engine.dispose()
