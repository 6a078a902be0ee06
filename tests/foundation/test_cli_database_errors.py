"""What an operator sees when a command cannot use the database: one line naming the cause
and what to do, exit status 1, never a traceback (which also quotes SQL and its parameters).
Run as `fit-platform` runs in production: a real process with production settings."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from fit_platform.db.session import make_engine
from tests.support.cli import run_fit_platform

COMMANDS = [
    ("db", "upgrade"),
    ("create-admin", "ola@klinikk.no", "--name", "Ola Drift"),
    ("retention", "apply"),
    ("export", "--unit", "all"),
    ("scheduler", "--once"),
]
PASSWORD = "Fjellvegen-Solsikke-42\n"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _one_clear_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command[:2]))
def test_a_database_that_is_not_running_is_named_in_one_line(command: tuple[str, ...]) -> None:
    url = f"postgresql+psycopg://fit@127.0.0.1:{_closed_port()}/fit"
    result = run_fit_platform(url, *command, stdin=PASSWORD)
    assert result.returncode == 1
    line = _one_clear_line(result.stderr)
    assert "The database cannot be reached" in line
    assert "Connection refused" in line
    assert "FIT_DATABASE_URL" in line


@pytest.fixture
def unmigrated_postgres(postgres_server_url: str) -> Iterator[str]:
    """An empty database on the run's PostgreSQL server: created, never migrated."""
    server = make_url(postgres_server_url)
    admin = make_engine(server.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("DROP DATABASE IF EXISTS fit_unmigrated"))
        connection.execute(text("CREATE DATABASE fit_unmigrated"))
    admin.dispose()
    yield server.set(database="fit_unmigrated").render_as_string(hide_password=False)
    admin = make_engine(server.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("DROP DATABASE IF EXISTS fit_unmigrated WITH (FORCE)"))
    admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_command_before_db_upgrade_says_to_run_it(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'new.sqlite3'}"
        if backend == "sqlite"
        else request.getfixturevalue("unmigrated_postgres")
    )
    result = run_fit_platform(
        url, "create-admin", "ola@klinikk.no", "--name", "Ola Drift", stdin=PASSWORD
    )
    assert result.returncode == 1
    line = _one_clear_line(result.stderr)
    assert "run `fit-platform db upgrade` first" in line
    assert "ola@klinikk.no" not in result.stderr  # no SQL parameters

    upgraded = run_fit_platform(url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    created = run_fit_platform(
        url, "create-admin", "ola@klinikk.no", "--name", "Ola Drift", stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr


def test_a_database_url_of_an_unknown_kind_is_refused_in_one_line() -> None:
    """`postgres://…` (what many hosting panels print) is not a URL SQLAlchemy can use: a bad
    setting, reported as every process reports one (one JSON line, tests/smoke/
    test_bad_setting_at_start.py), naming the variable and never the URL's password."""
    result = run_fit_platform("postgres://fit:hemmelig@127.0.0.1:5432/fit", "db", "upgrade")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "hemmelig" not in result.stderr
    (line,) = [json.loads(line) for line in result.stderr.splitlines()]
    assert line["level"] == "ERROR" and line["setting"] == "FIT_DATABASE_URL"
    assert "postgresql+psycopg://" in line["msg"]


def test_a_migration_run_as_the_applications_role_names_the_owners_url(
    unmigrated_postgres: str,
) -> None:
    """`db upgrade` without owner.env runs as the application's role, which may not create
    tables: the line said only "permission denied for schema public"."""
    role = "fit_app_cli_errors_test"
    admin = make_engine(unmigrated_postgres)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if not connection.scalar(
            text("SELECT count(*) FROM pg_roles WHERE rolname = :name"), {"name": role}
        ):
            connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}"))
    admin.dispose()
    url = make_url(unmigrated_postgres).set(username=role)
    result = run_fit_platform(url.render_as_string(hide_password=False), "db", "upgrade")
    assert result.returncode == 1
    line = _one_clear_line(result.stderr)
    assert "permission denied" in line
    assert "FIT_DATABASE_OWNER_URL" in line and "run as their owner" in line
