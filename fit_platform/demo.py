"""`fit-platform demo`: one process with web and scheduler on a SQLite file, for trying it out."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import click
from werkzeug.serving import make_server

from fit_platform.app import create_app
from fit_platform.db import migrate
from fit_platform.db.base import utcnow
from fit_platform.demo_request_log import MaskedRequestHandler
from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, next_send_time
from fit_platform.extensions import get_db
from fit_platform.process_settings import settings_or_exit
from fit_platform.services.demo_history import seed_demo_service_history
from fit_platform.services.demo_link import NoDemoSession, demo_patient_link
from fit_platform.services.demo_patients import DEMO_PATIENTS, seed_demo_patients
from fit_platform.services.demo_seed import seed_demo, seed_demo_schedules


def run_demo(host: str, port: int, with_scheduler: bool) -> None:
    settings = settings_or_exit("demo", overrides={"environment": "demo"})
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    # Werkzeug's server directly (Flask's app.run() refuses to run inside its own CLI), bound
    # before anything is printed: "Stop with Ctrl+C" means the address answers, and a port
    # already taken fails here, loudly, and not after the logins have been shown.
    # Its request lines mask query-string values, as production's access log does.
    server = make_server(host, port, app, threaded=True, request_handler=MaskedRequestHandler)
    # The command's one reading of the machine clock: every service below is given it.
    now = utcnow()
    with app.app_context():
        logins = seed_demo(get_db())
        seed_demo_patients(get_db(), now=now, zone=settings.zone)
        seed_demo_schedules(get_db(), now=now, zone=settings.zone)
        # After the schedules: the link is the PHQ-9 for the first patient's first session.
        try:
            patient_link: str | None = demo_patient_link(get_db(), now=now, zone=settings.zone)
            withheld = None
        except NoDemoSession as refused:
            patient_link, withheld = None, refused
        seed_demo_service_history(get_db(), now)
    scheduler = None
    if with_scheduler:
        from fit_platform.scheduler_hook import start_background_clock

        scheduler = start_background_clock(settings)

    base = f"http://{host}:{port}"
    click.echo("")
    click.echo(f"fit_platform demo is running at {base}/")
    click.echo(f"Staff login: {base}/staff/login")
    click.echo("Demo logins (username / password / role):")
    for login in logins:
        click.echo(f"  {login.username} / {login.password} / {login.role}")
    if patient_link is not None:
        click.echo(f"Patient link: {base}{patient_link}")
    else:
        assert withheld is not None
        click.echo(f"Patient link: none. {no_link_reason(withheld, settings.zone)}")
    click.echo(f"Service figures (log in as utvikler@demo.fit): {base}/export/start")
    click.echo(f"Database: {settings.database_url}")
    if not (settings.sms_url or settings.smtp_host):
        click.echo(
            f"Messages (no SMS gateway or SMTP relay set): {settings.instance_path / 'outbox'}"
        )
    first_send = next_send_time(now, DEFAULT_QUIET_HOURS, tz=settings.zone)
    if first_send > now:
        local = first_send.astimezone(settings.zone).strftime("%H:%M")
        click.echo(f"Quiet hours now: the scheduler sends the first invitations at {local}.")
    else:
        click.echo("The scheduler sends the first invitations now.")
    click.echo("Stop with Ctrl+C.")
    try:
        server.serve_forever()  # returns on Ctrl+C and closes the socket
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def no_link_reason(refused: NoDemoSession, zone: ZoneInfo) -> str:
    """Why no patient link is printed: the link is a send like the scheduler's, so the first
    patient's pause, stop or minimum interval holds for it too (services/demo_link.py)."""
    _, name, _, therapist, *_ = DEMO_PATIENTS[0]
    see = f"Log in as {therapist} to see her on the caseload."
    if refused.reason == NoDemoSession.PAUSED:
        return f"{name} has paused her questionnaires until {refused.until}. {see}"
    if refused.reason == NoDemoSession.STOPPED:
        return f"{name} has stopped her questionnaires. {see}"
    if refused.reason == NoDemoSession.TOO_SOON and isinstance(refused.until, dt.datetime):
        local = refused.until.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        return (
            f"{name} was sent a PHQ-9 less than her plan's minimum interval ago; "
            f"the next may be sent from {local}. {see}"
        )
    return f"{name} has no upcoming session with a PHQ-9 left to answer. {see}"
