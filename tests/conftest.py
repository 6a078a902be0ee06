"""Fixtures for every suite.

Database fixtures: `database_url` / `db` / `app` / `client` are parametrised over a real SQLite
file and a real PostgreSQL server, so every database test runs on both. PostgreSQL is a
throwaway server started once per run (see tests/support/postgres.py) unless
FIT_TEST_DATABASE_URL points at one. Each test starts from an empty schema.

The suite must pass at any hour. `FIT_TEST_WALL_CLOCK=22:30 ./dev test` runs it as if it
started at that Oslo time today (the wall clock then ticks on; monotonic time stays real).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

# The export's small-cell audit imports SciPy when it first runs, not at start
# (domain/disclosure_audit.py). Imported here once per test process, so that the first example
# of a property test with a time limit is not charged a second of import.
import scipy.optimize  # noqa: F401
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from fit_platform.app import create_app
from fit_platform.db import (
    Base,
    Database,
    models,  # noqa: F401 - registers the tables
)
from fit_platform.db.session import make_engine
from tests.fuzz.summary import (  # noqa: F401 - the fuzz summary's hooks, also under xdist
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_terminal_summary,
)
from tests.support.empty_database import empty_postgres
from tests.support.postgres import throwaway_postgres
from tests.support.slow_first import SlowFirstFileScheduling, slow_files_first
from tests.support.template_code import keep_template_code
from tests.support.url_builders import keep_url_builders

BACKENDS = ("sqlite", "postgresql")

keep_url_builders()  # every test builds its own app: see tests/support/url_builders.py
keep_template_code()  # and compiles the same templates: see tests/support/template_code.py


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The longest files first, so no worker runs one alone at the end (tests/support/slow_first.py).
    slow_files_first(items)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if config.getvalue("dist") == "loadfile":
        return SlowFirstFileScheduling(config, log)
    return None


@pytest.fixture(scope="session", autouse=True)
def wall_clock() -> Iterator[None]:
    """Move the whole run's wall clock to FIT_TEST_WALL_CLOCK (HH:MM today, or
    YYYY-MM-DDTHH:MM on another day, Oslo), if set. The date form finds a test whose fixed
    dates only work while they are still ahead of the real clock.

    time-machine changes what `datetime.now()` and `time.time()` return in this process
    (not in servers the tests start), which is how a test that silently relies on the hour
    is caught: run the suite at 06:00 and at 22:30.
    """
    wanted = os.environ.get("FIT_TEST_WALL_CLOCK")
    if not wanted:
        yield
        return
    oslo = ZoneInfo("Europe/Oslo")
    day_text, _, time_text = wanted.rpartition("T")
    hour, minute = (int(part) for part in time_text.split(":"))
    day = dt.date.fromisoformat(day_text) if day_text else dt.datetime.now(oslo).date()
    start = dt.datetime.combine(day, dt.time(hour, minute), oslo)
    # Given in UTC: with a ZoneInfo destination time-machine also sets the process's local
    # time zone (TZ), which no server here runs with, and which changed what psycopg sent.
    with time_machine.travel(start.astimezone(dt.UTC), tick=True):
        yield


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of the run's PostgreSQL server, with an empty database (no tables)."""
    with throwaway_postgres() as url:
        engine = make_engine(url)
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> str:
    """The PostgreSQL server with the current schema created from the models."""
    engine = make_engine(postgres_server_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return postgres_server_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


def _empty_postgres(url: str) -> None:
    empty_postgres(url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "fit.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    _empty_postgres(url)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def make_test_app(database_url: str, instance_path: Path, **overrides: object) -> Flask:
    settings = {
        "environment": "test",
        "database_url": database_url,
        "instance_path": instance_path,
        "secret_key": "test-secret-key-not-for-production",
        "public_base_url": "http://localhost",
        "log_level": "INFO",
        **overrides,
    }
    return create_app(overrides=settings)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_test_app(database_url, tmp_path / "instance")
    yield application
    application.extensions["fit_db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
