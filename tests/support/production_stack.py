"""The production processes, started the way docs/deploy.md tells an operator to.

The command lines are read from the guide's table of roles ("The processes"), so the guide
and what is tested cannot drift apart: a changed command in the guide is the command the
smoke, load and fault tests run. Every process gets production settings (`FIT_ENV=production`,
real keys, PostgreSQL, Redis, the SMS gateway and the SMTP relay on loopback).

Time: all processes of one stack run under libfaketime with the same offset, so their wall
clocks agree with each other and sit at a chosen Oslo time (a weekday morning, outside quiet
hours) whatever the hour the suite runs at. The monotonic clock stays real.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from cryptography.fernet import Fernet

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffRole, Unit
from fit_platform.domain.codes import Role, UnitKind
from fit_platform.services.passwords import hash_password
from fit_platform.services.unit_instruments import enable_all_schedulable
from tests.support.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_GUIDE = ROOT / "docs" / "deploy.md"
FAKETIME_SITE = Path(__file__).parent / "faketime_site"
OSLO = ZoneInfo("Europe/Oslo")
# A Thursday morning in Oslo: after quiet hours, a working day.
THURSDAY_MORNING = dt.datetime(2026, 12, 3, 9, 0, tzinfo=OSLO)
THERAPIST_PASSWORD = "smoke-test passord 4 terapeut"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def documented_commands(guide: Path = DEPLOY_GUIDE) -> dict[str, list[str]]:
    """Role → argv, from the rows "| role | `command` | how many |" of the guide's table."""
    text = guide.read_text()
    table = text[text.index("| role | command | how many |") :]
    table = table[: table.index("\n\n")]
    commands: dict[str, list[str]] = {}
    for role, command in re.findall(r"^\| ([^|`]+?) \| `([^`]+)`", table, re.MULTILINE):
        commands[role] = shlex.split(command)
    return commands


def installed(argv: list[str]) -> list[str]:
    """The guide names console scripts (`fit-platform`, `gunicorn`); run the ones installed
    beside this Python (the install step puts them in the same virtualenv)."""
    return [str(Path(sys.executable).parent / argv[0]), *argv[1:]]


def _real_epoch_seconds() -> int:
    """The machine's real time. This process's own clock may be moved (FIT_TEST_WALL_CLOCK
    moves it with time-machine); `date` in a child process is not."""
    return int(subprocess.run(["date", "+%s"], capture_output=True, text=True).stdout)


def faketime_env(moment: dt.datetime) -> dict[str, str]:
    """Environment that puts a process's wall clock at `moment` now, ticking on.

    A relative offset (not "@start") so that every process started with the same
    environment has the same clock, whenever it was started."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    assert found, "install the Debian package `faketime` (./dev test does)"
    offset = int(moment.timestamp()) - _real_epoch_seconds()
    return {
        "LD_PRELOAD": found[0],
        "FAKETIME": f"{offset:+d}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "TZ": "UTC",
    }


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:]

    def stop(self) -> None:
        if self.popen.poll() is None:
            # SIGINT: gunicorn's quick shutdown (SIGTERM waits for the graceful timeout);
            # the scheduler stops on it as on Ctrl+C.
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


@dataclass
class Stack:
    """Settings shared by the processes of one deployment, and the processes started."""

    database_url: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    # None: the real clock (no libfaketime), e.g. for load, where its cost would be measured.
    at: dt.datetime | None = THURSDAY_MORNING
    web_port: int = field(default_factory=free_port)
    processes: list[Process] = field(default_factory=list)
    commands: dict[str, list[str]] = field(default_factory=documented_commands)

    def __post_init__(self) -> None:
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("FIT_", "PROMETHEUS_")) and name != "DATABASE_URL"
        }
        self.env = {
            **inherited,
            **(faketime_env(self.at) if self.at is not None else {}),
            "FIT_ENV": "production",
            "FIT_DATABASE_URL": self.database_url,
            "FIT_SECRET_KEY": secrets.token_urlsafe(48),
            "FIT_TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "FIT_PUBLIC_BASE_URL": self.base_url,
            # Loopback has no TLS. Production is to refuse an http:// base URL unless this lab
            # flag is set (announced for issue 14); until then the flag is simply unused.
            "FIT_ALLOW_INSECURE_HTTP": "true",
            "FIT_BIND": f"127.0.0.1:{self.web_port}",
            "FIT_LOG_LEVEL": "INFO",
            "FIT_METRICS_ENABLED": "true",
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "metrics"),
            "PYTHONUNBUFFERED": "1",
            # faketime_site works around libfaketime's `time.sleep` bug (see that module's
            # docstring); ROOT makes the processes run this checkout's code, whichever checkout
            # the virtualenv's editable install points at (as the benchmarks do).
            "PYTHONPATH": os.pathsep.join([str(FAKETIME_SITE), str(ROOT)]),
            "FIT_WEB_WORKERS": "2",
            **self.extra_env,
        }

    def env_of(self, role: str) -> dict[str, str]:
        """The environment of `role`'s process: the workers' shared metrics directory is the
        web's alone, as the systemd units and the container's entry point set it."""
        if role == "web":
            return self.env
        return {k: v for k, v in self.env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}

    def run(
        self, role: str, *more: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> str:
        """Run a one-shot command of the guide (migrate, create-admin) to completion; `env`
        adds settings for this command only (the owner's URL for migrate)."""
        completed = subprocess.run(
            installed([*self.commands[role], *more]),
            cwd=ROOT,
            env={**self.env_of(role), **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, (role, completed.stdout, completed.stderr[-3000:])
        return completed.stdout

    def start(self, role: str, name: str | None = None) -> Process:
        """Start a long-running role of the guide (web, scheduler, ...) in the background."""
        name = name or role
        log = self.workdir / f"{name.replace(' ', '-')}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                installed(self.commands[role]),
                cwd=ROOT,
                env=self.env_of(role),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def start_web(self) -> Process:
        web = self.start("web")
        wait_until_ready(self.base_url, web)
        return web

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.processes)


def wait_until_ready(base_url: str, process: Process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.popen.poll() is None, f"{process.name} exited:\n{process.tail()}"
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base_url}/readyz never said ready:\n{process.tail()}")


@contextmanager
def production_stack(
    database_url: str,
    workdir: Path,
    *,
    at: dt.datetime | None = THURSDAY_MORNING,
    **extra_env: str,
) -> Iterator[Stack]:
    """A stack whose processes are all stopped on the way out (migrations not yet run).
    `at`: the Oslo time all its processes run at (libfaketime), or None for the real clock."""
    stack = Stack(database_url, workdir, extra_env, at=at)
    with ExitStack() as cleanup:
        cleanup.callback(stack.stop_all)
        yield stack


@dataclass(frozen=True)
class Clinic:
    unit_id: int
    therapists: list[str]


def seed_clinic(database_url: str, therapists: int = 1) -> Clinic:
    """A unit and its therapists, straight into the database, for the fault tests (the smoke
    test of the deployment guide sets its clinic up through the admin pages instead)."""
    db = Database(database_url)
    password_hash = hash_password(THERAPIST_PASSWORD)
    names = []
    try:
        with db.transaction() as session:
            unit = Unit(code="smoke-dps", name="Smoke DPS", kind=UnitKind.OUTPATIENT)
            unit.phone = "+47 22 00 00 00"
            session.add(unit)
            session.flush()
            enable_all_schedulable(session, unit.id)  # as the admin page does for a new unit
            for n in range(1, therapists + 1):
                username = f"terapeut{n}@smoke.example"
                staff = Staff(
                    username=username, display_name=f"Terapeut {n}", password_hash=password_hash
                )
                staff.roles = [StaffRole(role=Role.THERAPIST, unit_id=unit.id)]
                session.add(staff)
                names.append(username)
            unit_id = unit.id
    finally:
        db.dispose()
    return Clinic(unit_id, names)


def documented_database_roles(guide: Path = DEPLOY_GUIDE) -> list[str]:
    """The shell commands of the guide's two-role PostgreSQL block (after "createuser
    fit_owner"), as written."""
    text = guide.read_text()
    start = text.index("```\ncreateuser fit_owner")
    block = text[start + 4 : text.index("```", start + 4)]
    return [line for line in block.splitlines() if line.strip()]


@dataclass(frozen=True)
class TwoRoles:
    owner_url: str
    app_url: str


def two_database_roles(cluster: PostgresCluster) -> TwoRoles:
    """Run the guide's role commands against `cluster` as its superuser; the URLs of the
    owner (migrations) and of the application's role on the new database `fit`."""
    env = {
        **os.environ,
        "PGHOST": "127.0.0.1",
        "PGPORT": str(cluster.port),
        "PGUSER": "postgres",
        "PATH": f"{cluster.bin_dir}:{os.environ.get('PATH', '')}",
    }
    for command in documented_database_roles():
        completed = subprocess.run(
            [*cluster.prefix, "env", *(f"{k}={v}" for k, v in env.items() if k.startswith("PG")),
             f"PATH={env['PATH']}", "sh", "-c", command],
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
        assert completed.returncode == 0, (command, completed.stderr)
    base = f"127.0.0.1:{cluster.port}/fit"
    return TwoRoles(f"postgresql+psycopg://fit_owner@{base}", f"postgresql+psycopg://fit@{base}")
