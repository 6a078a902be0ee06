"""`fit-platform demo` as a user runs it: a real process, a real SQLite file, real HTTP.

The process runs under libfaketime at a fixed Oslo wall-clock time (the Debian package
`faketime`, installed by `./dev test`), so what the scheduler does is the same whatever
the hour the suite runs at: the demo once waited until 10:00 for its first invitation.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import OutboxMessage, Staff, Unit
from fit_platform.domain.codes import OutboxState
from tests.support.html import csrf_token
from tests.support.postgres import throwaway_postgres

ROOT = Path(__file__).resolve().parents[2]
OSLO = ZoneInfo("Europe/Oslo")
# A Thursday morning, before 10:00: the hour at which the demo used to send nothing.
MORNING = dt.datetime(2026, 12, 3, 9, 0, tzinfo=OSLO)


def at_wall_clock(moment: dt.datetime) -> dict[str, str]:
    """Environment that starts a process with its wall clock at `moment` (then ticking), by
    preloading libfaketime directly: the `faketime` wrapper forks, so Ctrl+C would reach it
    and not the demo. The monotonic clock stays real, or the scheduler's waits would stall."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    assert found, "install the Debian package `faketime` (./dev test does)"
    utc = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "LD_PRELOAD": found[0],
        "FAKETIME": f"@{utc}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "TZ": "UTC",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_demo(
    instance: Path,
    port: int,
    at: dt.datetime = MORNING,
    database_url: str | None = None,
    ready_within: float = 60,
) -> Iterator[list[str]]:
    env = {
        **os.environ,
        **at_wall_clock(at),
        "FIT_INSTANCE_PATH": str(instance),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FIT_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    if database_url is not None:
        env["FIT_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "fit_platform.cli", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready: queue.Queue[bool] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "Stop with Ctrl+C" in line:
                ready.put(True)
        ready.put(False)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.get(timeout=ready_within), "\n".join(lines)
        yield lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        assert process.stdout is not None
        process.stdout.close()


def _wait_for(url: str, lines: list[str]) -> None:
    # The demo binds its address before it prints "Stop with Ctrl+C", so this is a first
    # request on a busy machine, not a wait for the server to start.
    for _ in range(30):
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            threading.Event().wait(0.2)
    raise AssertionError(f"{url} never answered; the demo printed:\n" + "\n".join(lines))


def _request_log_masks_every_query_value(base: str, port: int, lines: list[str]) -> None:
    """Production's access log keeps a query string's parameter names and masks each value
    (a record id searched for, a username in `next=`); the demo's development server wrote
    the URL as sent. Its request lines, and the error line quoting a refused request line,
    now go through the same masking (fit_platform/demo_request_log.py)."""
    searched = "EPJ-778899"
    query = f"lang=en&next=/admin/patients%3Frecord_id%3D{searched}&q={searched}&{searched}"
    assert httpx.get(f"{base}/staff/login?{query}", timeout=10).status_code == 200
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(f"GET /staff/login?record_id={searched} x HTTP/1.1\r\n\r\n".encode())
        raw.recv(4096)  # the server's refusal
    masked = '"GET /staff/login?lang=[redacted]&next=[redacted]&q=[redacted]&[redacted] HTTP/1.1"'
    refused = "Bad request syntax ('GET /staff/login?record_id=[redacted]"

    def request_log() -> list[dict[str, str]]:
        # Read as JSON: in the raw line the quotes of `masked` are escaped.
        return [
            json.loads(line)
            for line in list(lines)
            if line.startswith("{") and '"werkzeug"' in line
        ]

    def logged(text: str, level: str) -> bool:
        return any(text in entry["msg"] and entry["level"] == level for entry in request_log())

    for _ in range(100):
        if logged(masked, "INFO") and logged(refused, "ERROR"):
            break
        threading.Event().wait(0.1)
    assert logged(masked, "INFO")
    assert logged(refused, "ERROR")
    assert searched not in "\n".join(lines)


def test_demo_serves_every_language_prints_the_logins_masks_its_log_and_starts_again_unchanged(
    tmp_path: Path,
) -> None:
    port = _free_port()
    with running_demo(tmp_path, port) as lines:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz", lines)
        for path in ("/", "/staff/login"):
            for language in ("nb", "nn", "en"):
                response = httpx.get(f"{base}{path}?lang={language}", timeout=10)
                assert response.status_code == 200
                assert f'<html lang="{language}">' in response.text
        _request_log_masks_every_query_value(base, port, lines)
        # The printed patient link opens the landing page.
        link = next(line for line in lines if line.startswith("Patient link: ")).split(": ")[1]
        assert httpx.get(link, timeout=10).status_code == 200
        # The service developer's printed start page reads the synthetic history, mostly shown.
        start = next(line for line in lines if line.startswith("Service figures ")).split(": ")[1]
        # 30 s: the figures page reads two years of three units' history on its first open;
        # a whole-suite run on a machine doing other work once took over 10 s (a timeout,
        # not a failure of the page).
        with httpx.Client(base_url=base, timeout=30) as browser:
            login = browser.get("/staff/login?lang=en").text
            answer = browser.post(
                "/staff/login",
                data={
                    "username": "utvikler@demo.fit",
                    "password": "fit-demo-passord",
                    "csrf_token": csrf_token(login),
                },
            )
            assert answer.status_code == 302
            page = browser.get(start + "?lang=en").text
        assert "DPS Sør, poliklinikk" in page and "DPS Vest, poliklinikk" in page
        assert page.count(" %</dd>") >= 6
        # The first thing the demo therapist sees is her caseload: every demo unit has a
        # lead, so no "nobody would be notified" warning greets a visitor.
        with httpx.Client(base_url=base, timeout=10) as browser:
            login = browser.get("/staff/login?lang=en").text
            answer = browser.post(
                "/staff/login",
                data={
                    "username": "terapeut1@demo.fit",
                    "password": "fit-demo-passord",
                    "csrf_token": csrf_token(login),
                },
            )
            assert answer.status_code == 302
            caseload = browser.get("/clinician/?lang=en")
        assert caseload.status_code == 200 and "Anna Demo" in caseload.text
        assert "No unit lead" not in caseload.text and "no-lead" not in caseload.text
        # The scheduler runs in the same process: the demo's first invitations are sent
        # (as files, since no SMS gateway is configured) without anything else started
        # (checked last: its first dispatch round can come before the first enqueue, and the
        # next is 10 s later).
        for _ in range(300):
            if list((tmp_path / "outbox").glob("*.txt")):
                break
            threading.Event().wait(0.1)
        sent = list((tmp_path / "outbox").glob("*.txt"))
        assert sent, "the scheduler sent nothing"
        assert f"http://127.0.0.1:{port}/p/" in sent[0].read_text()
    output = "\n".join(lines)
    assert "EPJ-778899" not in output  # the searched record id, in no line to the end
    assert "The scheduler sends the first invitations now." in output
    assert "terapeut1@demo.fit / fit-demo-passord / therapist" in output
    assert "admin@demo.fit" in output and "utvikler@demo.fit" in output
    assert "leder@demo.fit / fit-demo-passord / unit_lead" in output
    # Started a second time on the same instance folder: no failure, nothing seeded twice.
    with running_demo(tmp_path, _free_port()):
        pass
    database = Database(f"sqlite:///{tmp_path / 'fit_platform.sqlite3'}")
    with database.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(Staff)) == 5
        )  # admin, two therapists, service developer, the outpatient lead
        assert session.scalar(select(func.count()).select_from(Unit)) == 5
    database.dispose()


def test_the_demo_runs_on_postgresql_when_the_database_url_points_there(tmp_path: Path) -> None:
    # Its own server: the demo migrates an empty database, and the suite's shared one has
    # the other tests' tables.
    with throwaway_postgres() as url:
        port = _free_port()
        # Migrating and seeding PostgreSQL takes longer than a SQLite file on a busy machine.
        with running_demo(tmp_path, port, database_url=url, ready_within=300) as lines:
            base = f"http://127.0.0.1:{port}"
            _wait_for(base + "/healthz", lines)
            link = next(line for line in lines if line.startswith("Patient link: "))
            landing = httpx.get(link.split(": ")[1] + "?lang=en", timeout=10)
            assert landing.status_code == 200 and "Start" in landing.text
            assert httpx.get(base + "/readyz", timeout=10).status_code == 200
        database = Database(url)
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(Staff)) == 5
        assert database.dialect == "postgresql"
        database.dispose()
    assert not (tmp_path / "fit_platform.sqlite3").exists()


def test_a_demo_started_at_night_says_so_and_sends_nothing_until_morning(tmp_path: Path) -> None:
    late = dt.datetime(2026, 12, 3, 22, 30, tzinfo=OSLO)
    with running_demo(tmp_path, _free_port(), at=late) as lines:
        # The scheduler's first round has run (it starts with the demo) ...
        for _ in range(300):
            if any('"invitations enqueued"' in line for line in lines):
                break
            threading.Event().wait(0.1)
        # ... and the dispatch round that follows it at once (scheduler/clock.py) has sent
        # nothing: every message it queued waits for 08:00.
        threading.Event().wait(3)
        assert not list((tmp_path / "outbox").glob("*.txt"))
        database = Database(f"sqlite:///{tmp_path / 'fit_platform.sqlite3'}")
        with database.session() as session:
            # The seeded history's messages were sent before the demo started.
            queued = list(
                session.scalars(select(OutboxMessage).where(OutboxMessage.created_at >= late))
            )
        database.dispose()
    assert queued and all(row.state is OutboxState.QUEUED for row in queued)
    morning = dt.datetime(2026, 12, 4, 8, 0, tzinfo=OSLO)
    assert {row.next_attempt_at for row in queued} == {morning}
    output = "\n".join(lines)
    assert "Quiet hours now: the scheduler sends the first invitations at 08:00." in output


def test_score_command_prints_json_from_the_console_script() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "fit_platform.cli", "score", "phq9", *["1"] * 9, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout)
    assert result["total"] == 9 and result["band"] == "mild" and result["risk"] is True
