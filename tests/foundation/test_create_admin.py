"""The first run of a production install: `db upgrade`, then `create-admin`, then log in.

The commands run as an operator runs them (real processes, production settings), on a
fresh SQLite file and a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import pty
import select as io_select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from fit_platform.db import Database
from fit_platform.db.models import Staff
from fit_platform.db.session import make_engine
from tests.conftest import make_test_app
from tests.support.cli import operator_env, run_fit_platform
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


@pytest.fixture(scope="module")
def upgraded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file that `db upgrade` made once for this module; each test of create-admin's
    refusals starts from a copy of it (the operator's whole first run is the first test)."""
    path = tmp_path_factory.mktemp("upgraded") / "first-run.sqlite3"
    assert fit_platform(f"sqlite:///{path}", "db", "upgrade").returncode == 0
    return path


@pytest.fixture
def upgraded_url(upgraded_sqlite: Path, tmp_path: Path) -> str:
    path = tmp_path / "first-run.sqlite3"
    shutil.copyfile(upgraded_sqlite, path)
    return f"sqlite:///{path}"


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
        # The role in words, as for an invited account; never the stored code.
        assert "Administrator, all units" in trail
        assert "admin@all" not in trail and ">admin<" not in trail
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
    upgraded_url: str, email: str, password: str, message: str
) -> None:
    url = upgraded_url
    refused = fit_platform(url, "create-admin", email, "--name", "Ola", stdin=password + "\n")
    assert refused.returncode != 0
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr
    database = Database(url)
    with database.session() as session:
        assert session.scalars(select(Staff)).all() == []
    database.dispose()


def test_a_second_create_admin_for_the_same_address_changes_nothing(
    upgraded_url: str, tmp_path: Path
) -> None:
    url = upgraded_url
    args = ("create-admin", "ola@klinikk.no", "--name", "Ola")
    assert fit_platform(url, *args, stdin=PASSWORD + "\n").returncode == 0
    again = fit_platform(url, *args, stdin="et-helt-annet-passord\n")
    assert again.returncode != 0 and "exists already" in again.stderr
    app = make_test_app(url, tmp_path / "instance")
    log_in(app.test_client(), "ola@klinikk.no", PASSWORD)
    app.extensions["fit_db"].dispose()


PROMPTS = ("Password: ", "Repeat for confirmation: ")


class Terminal:
    """`fit-platform` run on a pseudo-terminal of its own, as an operator types at it."""

    def __init__(self, database_url: str, *args: str) -> None:
        env = operator_env(database_url)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal is its controlling one, as at a console
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "fit_platform.cli", *args], env)
        self.screen = ""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = io_select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # the command has ended and closed the terminal
            return False
        self.screen += chunk.decode(errors="replace")
        return bool(chunk)

    def expect(self, text: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.screen:
            assert time.monotonic() < deadline and self._read(0.2), (text, self.screen)
        self.screen = self.screen.split(text, 1)[1]

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def finish(self, seconds: float = 60) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self._read(0.2):
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def test_on_a_terminal_the_password_is_asked_twice_and_never_shown(
    upgraded_url: str, tmp_path: Path
) -> None:
    url = upgraded_url
    terminal = Terminal(url, "create-admin", "ola@klinikk.no", "--name", "Ola Drift")
    seen = ""
    # Two different entries are refused and asked for again; nothing is created meanwhile.
    for prompt, attempt in zip(PROMPTS, (PASSWORD, PASSWORD + " med en skrivefeil"), strict=True):
        terminal.expect(prompt)
        terminal.type(attempt)
    terminal.expect("do not match")
    seen += terminal.screen
    for prompt in PROMPTS:
        terminal.expect(prompt)
        terminal.type(PASSWORD)
    code = terminal.finish()
    seen += terminal.screen
    assert code == 0, seen
    assert "Administrator created" in seen
    assert PASSWORD not in seen and "skrivefeil" not in seen  # typed, never echoed
    log_in(make_test_app(url, tmp_path / "instance").test_client(), "ola@klinikk.no", PASSWORD)


def test_on_a_terminal_a_weak_password_is_refused_with_the_webs_rule(upgraded_url: str) -> None:
    url = upgraded_url
    terminal = Terminal(url, "create-admin", "ola@klinikk.no", "--name", "Ola Drift")
    for prompt in PROMPTS:
        terminal.expect(prompt)
        terminal.type("Passord12345")
    code = terminal.finish()
    assert code != 0 and "too common" in terminal.screen, terminal.screen
    database = Database(url)
    with database.session() as session:
        assert session.scalars(select(Staff)).all() == []
    database.dispose()
