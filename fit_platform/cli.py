"""The `fit-platform` console script, built on Flask's CLI."""

from __future__ import annotations

import datetime as dt
import os
import sys

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError, OperationalError

from fit_platform.cli_clinical import instruments, score_command, signals_command
from fit_platform.cli_env_file import check_env_file_command
from fit_platform.cli_export import export_command
from fit_platform.cli_fhir import fhir
from fit_platform.cli_retention import retention
from fit_platform.cli_staff import staff
from fit_platform.config import check_database_url, instruments_dir_setting
from fit_platform.config_error import ConfigurationError
from fit_platform.process_settings import exit_on_configuration_error, start_process
from fit_platform.scheduler.cli import scheduler


def _create_app():  # type: ignore[no-untyped-def]
    from fit_platform.app import create_app
    from fit_platform.process_settings import settings_or_exit

    # A bad setting gives one JSON line and exit 1 (process_settings.py), not a traceback.
    return create_app(settings_or_exit("fit-platform"))


class FitGroup(FlaskGroup):
    """Flask's CLI group, without loading the app just to print the list of commands
    (production settings are often absent where someone types --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(click.Group.list_commands(self, ctx))


@click.group(cls=FitGroup, create_app=_create_app, add_default_commands=False, load_dotenv=False)
def cli() -> None:
    """Feedback-informed treatment platform."""
    from fit_platform.app import configure_instruments
    from fit_platform.logging_setup import configure_logging

    configure_logging()  # a bad file of the folder is logged naming it; a command may refine
    # Every command and the scheduler process see the library the web app sees: a command
    # that left the service's own folder out would miss its forms and their answers.
    configure_instruments(instruments_dir_setting())


@cli.group()
def db() -> None:
    """Database schema migrations (Alembic)."""


def _database_url(role: str, owner_url: str | None = None) -> str:
    """`owner_url` when given (the schema changes run as the role that owns the tables, which
    the application's own role is not in the two-role set-up of docs/deploy.md), else the
    application's URL. The settings are checked either way: every command reads the same,
    and warns like every process when a lab runs production settings over http."""
    settings = start_process(role)
    if owner_url:
        try:
            return check_database_url("FIT_DATABASE_OWNER_URL", owner_url)
        except ConfigurationError as exc:
            exit_on_configuration_error(exc, role)
    return settings.database_url


owner_url_option = click.option(
    "--owner-url",
    envvar="FIT_DATABASE_OWNER_URL",
    help="URL of the role that owns the tables (default: FIT_DATABASE_OWNER_URL, then "
    "FIT_DATABASE_URL).",
)


@db.command("upgrade", with_appcontext=False)
@click.argument("revision", default="head")
@owner_url_option
def db_upgrade(revision: str, owner_url: str | None) -> None:
    """Upgrade the database to REVISION (default: the newest), as the owner of the tables."""
    from fit_platform.db import migrate

    before, after = migrate.upgrade(_database_url("db upgrade", owner_url), revision)
    if before == after:
        click.echo(f"Database is up to date (revision {_revisions(after)}); nothing to do.")
    elif not before:
        click.echo(f"Database created at revision {_revisions(after)} (it had no tables).")
    else:
        click.echo(f"Database upgraded from revision {_revisions(before)} to {_revisions(after)}.")


# `-1` is a relative revision, not an option: without this click refuses it.
@db.command("downgrade", with_appcontext=False, context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@owner_url_option
def db_downgrade(revision: str, owner_url: str | None) -> None:
    """Downgrade the database to REVISION (e.g. -1 or base), as the owner of the tables."""
    from fit_platform.db import migrate

    before, after = migrate.downgrade(_database_url("db downgrade", owner_url), revision)
    if before == after:
        click.echo(f"Database left at revision {_revisions(after)}; nothing to do.")
    elif not after:
        click.echo(f"Database downgraded from revision {_revisions(before)} to base (no tables).")
    else:
        click.echo(
            f"Database downgraded from revision {_revisions(before)} to {_revisions(after)}."
        )


def _revisions(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "base"


@db.command("check", with_appcontext=False)
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    from fit_platform.db import migrate

    migrate.check(_database_url("db check"))


CREATE_ADMIN_REFUSALS = {
    "invalid_email": "That is not a valid e-mail address.",
    "no_name": "A name is required (--name).",
    "too_short": "The password is too short: use at least 12 characters.",
    "too_common": "The password is too common: choose another.",
    "same_as_username": "The password must not be the e-mail address.",
    "exists": "An account with that e-mail address exists already; nothing was changed.",
}


@cli.command("create-admin", with_appcontext=False)
@click.argument("email")
@click.option("--name", required=True, help="The administrator's name as staff see it.")
def create_admin_command(email: str, name: str) -> None:
    """Create an administrator account (the first one of a new install).

    On a terminal the password is asked for twice; otherwise it is read from the first
    line of standard input. It is never a command-line argument and never logged.
    """

    from fit_platform.db import Database
    from fit_platform.services.staff_accounts import AccountRefused, create_admin

    settings = start_process("create-admin")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    db = Database(settings.database_url)
    try:
        staff_id = create_admin(db, email, name, password, now=dt.datetime.now(dt.UTC))
    except AccountRefused as exc:
        raise click.ClickException(CREATE_ADMIN_REFUSALS[exc.code]) from exc
    finally:
        db.dispose()
    click.echo(f"Administrator created (staff id {staff_id}). Log in at /staff/login.")


@cli.group()
def totp() -> None:
    """Staff second-factor (TOTP) secrets kept sealed with FIT_TOTP_ENCRYPTION_KEY."""


@totp.command("reseal", with_appcontext=False)
def totp_reseal_command() -> None:
    """Seal every second-factor secret again with the first key of FIT_TOTP_ENCRYPTION_KEY,
    so the keys after it can be removed (key rotation, docs/operations.md)."""
    from fit_platform.db import Database
    from fit_platform.services.secret_box import SecretBox
    from fit_platform.services.totp import reseal_secrets

    settings = start_process("totp")
    db = Database(settings.database_url)
    try:
        result = reseal_secrets(db, SecretBox(settings.totp_encryption_key))
    finally:
        db.dispose()
    noun = "secret" if result.resealed == 1 else "secrets"
    click.echo(f"{result.resealed} second-factor {noun} sealed again with the first key.")
    if result.unreadable:
        ids = ", ".join(str(staff_id) for staff_id in result.unreadable)
        raise click.ClickException(
            f"No configured key opens the second factor of staff id {ids}: keep the old key "
            "until you find it, or reset their second factor on the staff pages."
        )
    click.echo("The keys after the first one in FIT_TOTP_ENCRYPTION_KEY can now be removed.")


@cli.group()
def i18n() -> None:
    """Translation catalogs: extract, update and compile."""


@i18n.command("update", with_appcontext=False)
def i18n_update() -> None:
    """Extract strings and merge them into the nb, nn and en catalogs."""
    from fit_platform import i18n_catalogs

    i18n_catalogs.update()


@i18n.command("compile", with_appcontext=False)
def i18n_compile() -> None:
    """Compile the catalogs (.po → .mo); install and CI run this."""
    from fit_platform import i18n_catalogs

    i18n_catalogs.compile_catalogs()


@cli.command(with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not start the scheduler clock.")
def demo(host: str, port: int, no_scheduler: bool) -> None:
    """Create or migrate a SQLite demo database, seed it, and serve web and scheduler."""
    os.environ["FIT_ENV"] = "demo"
    os.environ.setdefault("FIT_PUBLIC_BASE_URL", f"http://{host}:{port}")
    from fit_platform.demo import run_demo

    run_demo(host=host, port=port, with_scheduler=not no_scheduler)


cli.add_command(instruments)
cli.add_command(score_command)
cli.add_command(signals_command)
cli.add_command(export_command)
cli.add_command(fhir)
cli.add_command(scheduler)
cli.add_command(retention)
cli.add_command(staff)
cli.add_command(check_env_file_command)


def database_failure(exc: DBAPIError) -> str:
    """One line for an operator about a command the database refused: the driver's first line
    (never the SQL or its parameters, which SQLAlchemy's own message quotes) and what to do."""
    cause = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
    pgcode = getattr(exc.orig, "sqlstate", None)
    if pgcode == "42P01" or cause.startswith("no such table"):
        return f"The database has no tables yet ({cause}): run `fit-platform db upgrade` first."
    if isinstance(exc, OperationalError) and (
        cause.startswith(("connection failed", "connection is bad"))
        or "unable to open database file" in cause
    ):
        return (
            f"The database cannot be reached ({cause}). Check FIT_DATABASE_URL "
            "(FIT_DATABASE_OWNER_URL for db upgrade, db downgrade and retention "
            "purge-access-log) and that the database is running."
        )
    if pgcode == "42501":  # insufficient_privilege: "permission denied", "must be owner of"
        return (
            f"The database refused the command ({cause}). db upgrade, db downgrade and "
            "retention purge-access-log change tables and run as their owner: set "
            "FIT_DATABASE_OWNER_URL (docs/deploy.md, PostgreSQL)."
        )
    return f"The database refused the command ({cause})."


def main() -> None:
    try:
        cli(prog_name="fit-platform")
    except DBAPIError as exc:
        # A traceback here would bury the cause and quote SQL parameters on the terminal.
        click.echo(f"Error: {database_failure(exc)}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
