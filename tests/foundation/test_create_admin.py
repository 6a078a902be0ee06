"""The first run of a production install: `db upgrade`, then `create-admin`, then log in.

The commands run as an operator runs them (real processes, production settings), on a
fresh SQLite file and a fresh PostgreSQL database.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from fit_platform.db import Database
from fit_platform.db.models import Staff
from fit_platform.db.session import make_engine
from tests.conftest import make_test_app
from tests.support.cli import run_fit_platform
from tests.support.html import log_in

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "lang-og-hemmelig-setning"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'first-run.sqlite3'}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS fit_first_run"))
        connection.execute(text("CREATE DATABASE fit_first_run"))
    yield server_url.rsplit("/", 1)[0] + "/fit_first_run"
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS fit_first_run WITH (FORCE)"))
    admin.dispose()


def fit_platform(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_fit_platform(url, *args, stdin=stdin)


def test_an_operator_creates_the_first_admin_who_can_then_log_in(
    fresh_database_url: str, tmp_path: Path
) -> None:
    assert fit_platform(fresh_database_url, "db", "upgrade").returncode == 0
    created = fit_platform(
        fresh_database_url,
        "create-admin",
        "Ola.Drift@Klinikk.no",
        "--name",
        "Ola  Drift",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert "Administrator created" in created.stdout
    # The password is read from standard input and never reaches the log.
    assert PASSWORD not in created.stdout + created.stderr

    app = make_test_app(fresh_database_url, tmp_path / "instance")
    try:
        client = app.test_client()
        log_in(client, "ola.drift@klinikk.no", PASSWORD)
        assert client.get("/admin/instruments").status_code == 200
        # The account's creation is the first row of the admin audit trail, by the command.
        trail = client.get("/admin/audit?lang=en").get_data(as_text=True)
        assert "Staff member created" in trail and "Command line" in trail
        assert "ola.drift@klinikk.no" in trail
        with app.extensions["fit_db"].session() as session:
            staff = session.scalars(select(Staff)).one()
            assert staff.display_name == "Ola Drift"
            assert [(r.role.value, r.unit_id) for r in staff.roles] == [("admin", None)]
    finally:
        app.extensions["fit_db"].dispose()


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("ola@klinikk.no", "kort", "too short"),
        ("ola@klinikk.no", "administrator", "too common"),
        ("ola@klinikk.no", "velkommen123", "too common"),
        ("ikke-en-adresse", PASSWORD, "not a valid e-mail address"),
        ("ola@klinikk.no", "", "too short"),
    ],
)
def test_create_admin_refuses_bad_input_with_a_clear_message_and_creates_nothing(
    tmp_path: Path, email: str, password: str, message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'first-run.sqlite3'}"
    assert fit_platform(url, "db", "upgrade").returncode == 0
    refused = fit_platform(url, "create-admin", email, "--name", "Ola", stdin=password + "\n")
    assert refused.returncode != 0
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr
    database = Database(url)
    with database.session() as session:
        assert session.scalars(select(Staff)).all() == []
    database.dispose()


def test_a_second_create_admin_for_the_same_address_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'first-run.sqlite3'}"
    assert fit_platform(url, "db", "upgrade").returncode == 0
    args = ("create-admin", "ola@klinikk.no", "--name", "Ola")
    assert fit_platform(url, *args, stdin=PASSWORD + "\n").returncode == 0
    again = fit_platform(url, *args, stdin="et-helt-annet-passord\n")
    assert again.returncode != 0 and "exists already" in again.stderr
    app = make_test_app(url, tmp_path / "instance")
    log_in(app.test_client(), "ola@klinikk.no", PASSWORD)
    app.extensions["fit_db"].dispose()
