"""Backup and restore as docs/operations.md tells the operator to do it: `pg_dump -Fc` of a
production-shaped database (migrated with Alembic, append-only triggers and all), then
`pg_restore` into a fresh database, and the app serves the same patient from the copy."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from fit_platform.db import Database, migrate
from fit_platform.db.session import make_engine
from tests.conftest import make_test_app
from tests.support.clinical import add_goal
from tests.support.factories import PASSWORD, add_history, make_world
from tests.support.html import log_in
from tests.support.postgres import _pg_bin

SOURCE, RESTORED = "fit_backup_source", "fit_backup_restored"


@pytest.fixture
def server_url(postgres_server_url: str) -> Iterator[str]:
    admin = make_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in (SOURCE, RESTORED):
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    yield postgres_server_url
    with admin.connect() as connection:
        for name in (SOURCE, RESTORED):
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _client_tool(name: str, url: str, *args: str) -> None:
    """Run a PostgreSQL client program against the server of `url`, as an operator would."""
    parts = make_url(url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    connection = ["-h", parts.host or "127.0.0.1", "-p", str(parts.port or 5432)]
    connection += ["-U", parts.username or "postgres"]
    subprocess.run(
        [str(_pg_bin() / name), *connection, *args], check=True, env=env, capture_output=True
    )


def test_a_pg_dump_restored_into_a_fresh_database_serves_the_same_patient(
    server_url: str, tmp_path: Path
) -> None:
    base = server_url.rsplit("/", 1)[0]
    _client_tool("createdb", server_url, SOURCE)
    source_url = f"{base}/{SOURCE}"
    migrate.upgrade(source_url)
    source = Database(source_url)
    world = make_world(source)
    add_history(source, world, [20, 16, 12, 8])
    add_goal(source, world, "Sleep through the night before work")
    source.dispose()

    dump = tmp_path / "fit.dump"
    _client_tool("pg_dump", server_url, "-Fc", "-d", SOURCE, "-f", str(dump))
    _client_tool("createdb", server_url, RESTORED)
    _client_tool(
        "pg_restore", server_url, "--no-owner", "--exit-on-error", "-d", RESTORED, str(dump)
    )
    _client_tool("dropdb", server_url, SOURCE)  # the copy must stand on its own

    app = make_test_app(f"{base}/{RESTORED}", tmp_path / "i")
    client = app.test_client()
    try:
        assert client.get("/readyz").get_json()["status"] == "ready"  # schema at head
        log_in(client, world.therapist_username, PASSWORD)
        response = client.get(f"/clinician/episodes/{world.episode_id}?lang=en")
        html = response.get_data(as_text=True)
    finally:
        app.extensions["fit_db"].dispose()
    assert response.status_code == 200
    assert "Sleep through the night before work" in html
    assert "reliably better since the first score of 20" in html
