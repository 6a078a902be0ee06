"""`/readyz`: ready only when the database answers and its schema is at the code's head."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from fit_platform.db import migrate
from tests.conftest import make_test_app


def test_a_migrated_database_is_ready(database_url: str, tmp_path: Path) -> None:
    # The shared test schema comes from the models; stamp it as an upgrade would leave it.
    from alembic import command

    command.stamp(migrate.alembic_config(database_url), "head")
    app = make_test_app(database_url, tmp_path / "i")
    try:
        response = app.test_client().get("/readyz")
    finally:
        with app.extensions["fit_db"].engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))
        app.extensions["fit_db"].dispose()
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "database": "ok", "migrations": "at head"}


def test_a_database_behind_the_code_is_not_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, "base")
    app = make_test_app(url, tmp_path / "i")
    response = app.test_client().get("/readyz")
    app.extensions["fit_db"].dispose()
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "not at head"


def test_an_unreachable_database_is_not_ready_and_health_still_answers(tmp_path: Path) -> None:
    # Nothing listens on port 1 of loopback: the connection is refused at once.
    app = make_test_app("postgresql+psycopg://fit@127.0.0.1:1/fit", tmp_path / "i")
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "database": "unreachable",
        "migrations": "not at head",
    }
    # /healthz only says the process is up (for a liveness probe that must not restart
    # the web process because the database is away).
    assert client.get("/healthz").status_code == 200
    app.extensions["fit_db"].dispose()
