"""The staff pages with their e-mail channel pointed at the loopback SMTP server: the app, a
form post with its CSRF token, and the dispatcher run once, for tests that follow an e-mailed
staff link (an invitation, a new-password link) from the administrator to the person."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fit_platform.db import Database
from fit_platform.messaging.setup import dispatcher_from_settings
from tests.conftest import make_test_app
from tests.messaging.conftest import SmtpServer
from tests.support.html import csrf_token


@pytest.fixture
def mail_app(database_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Flask]:
    """The app with its e-mail channel pointed at the loopback SMTP server."""
    application = make_test_app(
        database_url,
        tmp_path / "instance",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_starttls=False,
    )
    yield application
    application.extensions["fit_db"].dispose()


def db_of(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def post_form(client: FlaskClient, page: str, url: str, data: dict[str, str]) -> TestResponse:
    """Post `data` to `url` with the CSRF token of the form on `page`."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def send_mail(app: Flask) -> None:
    """Send what the outbox holds, as the scheduler's dispatcher would."""
    dispatcher = dispatcher_from_settings(db_of(app), app.config["FIT_SETTINGS"])
    try:
        dispatcher.drain()
    finally:
        dispatcher.close()
