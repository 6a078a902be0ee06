"""A scheduler job that the database fails logs one line that says which job, the error's
class and a short reason, and nothing of the driver's message, the SQL or its parameters
(docs/operations.md): PostgreSQL away fails every job on every run (dispatch every 10 s)."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import IntegrityError

from fit_platform.db import Database
from fit_platform.db.models import Staff
from fit_platform.logging_setup import JsonFormatter
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.scheduler.clock import build_scheduler

PASSWORD_IN_URL = "Db-Passord-5566"


@pytest.fixture
def clock_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fit_platform.scheduler.clock")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_every_job_against_an_unreachable_database_logs_one_line_without_the_drivers_message(
    clock_log: io.StringIO,
) -> None:
    url = f"postgresql+psycopg://fit:{PASSWORD_IN_URL}@127.0.0.1:{_closed_port()}/fit"
    db = Database(url)
    try:
        dispatcher = Dispatcher(db, {}, lambda token: f"https://x/p/{token}")
        clock = build_scheduler(db, dispatcher)
        jobs = clock.get_jobs()
        for job in jobs:
            job.func()  # the guarded job, as APScheduler runs it
    finally:
        db.dispose()
    text = clock_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert sorted(line["job"] for line in lines) == sorted(job.id for job in jobs)
    for line in lines:
        assert line["event"] == "scheduler_job_failed" and line["level"] == "ERROR"
        assert line["error"] == "OperationalError"
        assert line["reason"] == "database unavailable"
        assert str(line["where"]).startswith("fit_platform/")
        assert "exc" not in line
    for driver_text in ("Traceback", "connection", "refused", "127.0.0.1", PASSWORD_IN_URL):
        assert driver_text not in text


def test_a_refused_insert_names_no_parameter_in_its_text(db: Database) -> None:
    with db.transaction() as session:
        session.add(Staff(username="kari@dps.example", display_name="Kari", password_hash="x"))
    with pytest.raises(IntegrityError) as refused, db.transaction() as session:
        session.add(
            Staff(
                username="kari@dps.example",
                display_name="Kari Nordmann-Secret",
                password_hash="hash-that-must-not-show",
            )
        )
    text = str(refused.value)
    assert "Kari Nordmann-Secret" not in text and "hash-that-must-not-show" not in text
    assert "parameters hidden" in text
