"""Backup and restore as docs/operations.md tells the operator to do it: `pg_dump -Fc` of a
production-shaped database (migrated with Alembic, append-only triggers and all), then
`pg_restore` into a fresh database, and the app serves the same patient from the copy."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

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


OWNER, APP = "fit_backup_owner", "fit_backup_app"
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _documented_restore(server_url: str, dump: Path) -> list[list[str]]:
    """The guide's restore block as written, pointed at the test server, with its roles
    (`fit_owner`, `fit`) and names replaced by this test's."""
    guide = GUIDE.read_text(encoding="utf-8")
    start = guide.index("```\ncreatedb -h db.example")
    block = guide[start + 4 : guide.index("```", start + 4)]
    parts = make_url(server_url)
    names = {"fit_owner": OWNER, "fit": APP, "fit_restored": RESTORED}
    commands = []
    for line in block.splitlines():
        if not line.strip():
            continue
        words = []
        for word in shlex.split(line):
            if word == "db.example":
                word = f"{parts.host or '127.0.0.1'}"
            elif word == "postgres":
                word = parts.username or "postgres"
            elif word.startswith("--role="):
                word = "--role=" + names[word.removeprefix("--role=")]
            elif word.startswith("/backup/"):
                word = str(dump)
            words.append(names.get(word, word))
        commands.append([*words, "-p", str(parts.port or 5432)])
    return commands


@pytest.fixture
def two_roles(server_url: str) -> Iterator[str]:
    """The two roles of docs/deploy.md on the test server: OWNER owns SOURCE and its tables,
    APP has row rights through default privileges."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for role in (OWNER, APP):
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
            connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f"CREATE DATABASE {SOURCE} OWNER {OWNER}"))
    base = server_url.rsplit("/", 1)[0]
    source = make_engine(f"{base}/{SOURCE}", isolation_level="AUTOCOMMIT")
    with source.connect() as connection:
        connection.execute(
            text(
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} "
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP}"
            )
        )
        connection.execute(
            text(
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} "
                f"GRANT USAGE, SELECT ON SEQUENCES TO {APP}"
            )
        )
    source.dispose()
    yield base
    with admin.connect() as connection:
        for name in (SOURCE, RESTORED):
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        for role in (OWNER, APP):
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
    admin.dispose()


def test_the_guides_restore_keeps_the_two_roles_apart(
    server_url: str, two_roles: str, tmp_path: Path
) -> None:
    """The guide's restore commands on a database set up with the two roles of deploy.md:
    the restore runs to the end, the application's role serves the copy, and it still cannot
    switch off an append-only guard there (the owner owns the restored tables)."""
    base = two_roles
    owner_url = base.replace("//postgres@", f"//{OWNER}@")
    app_url = base.replace("//postgres@", f"//{APP}@")
    migrate.upgrade(f"{owner_url}/{SOURCE}")
    source = Database(f"{app_url}/{SOURCE}")
    world = make_world(source)
    add_goal(source, world, "Walk to work twice a week")
    source.dispose()

    dump = tmp_path / "fit.dump"
    app_role = server_url.replace("//postgres@", f"//{APP}@")
    _client_tool("pg_dump", app_role, "-Fc", "-d", SOURCE, "-f", str(dump))  # the app's role
    for command in _documented_restore(server_url, dump):
        _client_tool(command[0], server_url, *command[1:])

    restored = f"{app_url}/{RESTORED}"
    app = make_test_app(restored, tmp_path / "i")
    client = app.test_client()
    try:
        assert client.get("/readyz").get_json()["status"] == "ready"
        log_in(client, world.therapist_username, PASSWORD)
        html = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    finally:
        app.extensions["fit_db"].dispose()
    assert "Walk to work twice a week" in html
    engine = make_engine(restored)
    try:
        with pytest.raises(DBAPIError, match="must be owner"), engine.begin() as connection:
            connection.execute(text("ALTER TABLE access_log DISABLE TRIGGER ALL"))
    finally:
        engine.dispose()
