"""`fit-platform staff`: staff accounts from the command line, for a service without e-mail
(docs/operations.md, "Staff without e-mail")."""

from __future__ import annotations

import datetime as dt
import os

import click

from fit_platform.config import warn_if_insecure_http
from fit_platform.config_error import ConfigurationError
from fit_platform.process_settings import exit_on_configuration_error, settings_or_exit

INVITE_LINK_REFUSALS = {
    "not_found": "No staff account has the username {username}. An administrator creates "
    "the account on the staff pages first (Administration, Staff, Invite).",
    "already_inactive": "The account {username} is deactivated: an administrator reactivates "
    "it on the staff pages first.",
    "no_local_passwords": "Staff log in through the identity provider only "
    "(FIT_LOCAL_PASSWORDS=false): a password for {username} would open nothing.",
}
# Distinct from the 1 of a configuration or database failure, so a script can tell "no such
# account" from "the command could not run".
NO_SUCH_ACCOUNT = 3


@click.group("staff")
def staff() -> None:
    """Staff accounts: set-password links without e-mail."""


@staff.command("invite-link")
@click.argument("username")
def invite_link_command(username: str) -> None:
    """Print a one-time link for USERNAME to choose a password, for a service without e-mail.

    For someone invited on the staff pages who has not set a password yet it is their
    invitation; for an active account, a link to choose a new password (the old one works
    until then). Earlier links of the account stop working. The link works once and for 72
    hours; hand it over in person or by a channel you trust. Only the link goes to standard
    output; the database keeps only a hash of it and the log never holds it.
    """
    from fit_platform.db import Database
    from fit_platform.logging_setup import configure_logging
    from fit_platform.services.staff_invites import (
        StaffChangeRefused,
        invite_path,
        print_link_for_operator,
    )

    settings = settings_or_exit("staff")
    if not os.environ.get("FIT_PUBLIC_BASE_URL"):
        # The default address is this machine's own loopback: a link to it opens nothing
        # on the staff member's computer.
        exit_on_configuration_error(
            ConfigurationError(
                "FIT_PUBLIC_BASE_URL is not set: set it to the address staff open the service "
                "at (https://…), as for the web process, so the link leads there."
            ),
            "staff",
        )
    configure_logging(settings.log_level)
    warn_if_insecure_http(settings, "staff")
    db = Database(settings.database_url)
    try:
        printed = print_link_for_operator(
            db,
            username,
            now=dt.datetime.now(dt.UTC),
            local_passwords=settings.local_passwords,
        )
    except StaffChangeRefused as refused:
        click.echo(
            "Error: " + INVITE_LINK_REFUSALS[refused.code].format(username=username.strip()),
            err=True,
        )
        raise SystemExit(NO_SUCH_ACCOUNT if refused.code == "not_found" else 1) from refused
    finally:
        db.dispose()
    what = "a new password" if printed.new_password else "their first password"
    until = printed.expires_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
    click.echo(
        f"A link for {username.strip().lower()} to choose {what}; it works once, until "
        f"{until} ({settings.timezone}). Earlier links no longer work.",
        err=True,
    )
    click.echo(f"{settings.public_base_url.rstrip('/')}{invite_path(printed.token)}")
