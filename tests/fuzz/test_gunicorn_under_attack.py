"""The same kind of attack over real HTTP, against gunicorn with production settings: what the
Flask test client hides (bytes that are not UTF-8 in the path itself, request lines and
headers no client library would send, huge headers, a lying Content-Length) must get a 4xx from
gunicorn or the app, never a 5xx, never an error in the logs, and never take a worker down."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command

from fit_platform.db.migrate import alembic_config
from tests.fuzz.attack import TALLY
from tests.fuzz.hostile import HOSTILE_SEGMENTS, HOSTILE_TEXT

ROOT = Path(__file__).resolve().parents[2]
TOTP_KEY = "pRmgMa8T0INjEAfksaq2aafzoZXEuwKI7wDe4c1F8AY="

# Raw requests no HTTP library would send.
RAW_REQUESTS = [
    b"GET /p/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /language/\xc0\xaf?next=/ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /clinician/episodes/\xed\xa0\x80 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /staff/login?next=\xff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /p/%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Language: \xff\xfe\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nCookie: session=\xff\xfe\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: \xff\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"A" * 9000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 200 + b"\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /\r\n\r\n",
    b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
    b"POST /staff/login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST /staff/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /staff/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nab",
    b"POST /staff/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
    b"\r\nContent-Length: 99999999\r\n\r\nusername=a",
    b"POST /staff/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /staff/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3"
    b"\r\n\r\n0\r\n\r\n",
    b"POST /p/answer/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
    b"\r\nContent-Length: 12\r\n\r\nphq9_1=\xff\xfe\x00a",
    b"POST /p/x HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=zz\r\n"
    b"Content-Length: 20\r\n\r\n--zz\r\nbroken\r\n\r\n",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def gunicorn_url(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("gunicorn-fuzz")
    shutil.copyfile(sqlite_template, folder / "fit.sqlite3")
    url = f"sqlite:///{folder / 'fit.sqlite3'}"
    command.stamp(alembic_config(url), "head")
    port = _free_port()
    log = folder / "gunicorn.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FIT_")},
        "FIT_ENV": "production",
        "FIT_DATABASE_URL": url,
        "FIT_SECRET_KEY": "gunicorn-fuzz-secret-key-0123456789abcdef",
        "FIT_TOTP_ENCRYPTION_KEY": TOTP_KEY,
        # Production settings over http on loopback: a lab, so say so.
        "FIT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "FIT_ALLOW_INSECURE_HTTP": "true",
        "FIT_BIND": f"127.0.0.1:{port}",
        "FIT_WEB_WORKERS": "1",
        "FIT_INSTANCE_PATH": str(folder),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise AssertionError("gunicorn did not start: " + log.read_text()[-2000:])
            yield base, log
        finally:
            process.terminate()
            process.wait(timeout=20)


def _raw(port: int, payload: bytes) -> int | None:
    """Send bytes as they are; the status of the answer, or None when the server just closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if not data:
        return None
    status_line = data.split(b"\r\n", 1)[0].split()
    return int(status_line[1])


def _log_problems(log: Path) -> list[str]:
    problems = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if "Traceback" in line or "Error handling request" in line:
                problems.append(line)
            continue
        if entry.get("level") in ("ERROR", "CRITICAL") or str(entry.get("status", "")).startswith(
            "5"
        ):
            problems.append(line)
    return problems


def test_raw_requests_that_no_client_library_sends_get_no_server_error(
    gunicorn_url: tuple[str, Path],
) -> None:
    base, log = gunicorn_url
    port = int(base.rsplit(":", 1)[1])
    statuses = {}
    for payload in RAW_REQUESTS:
        status = _raw(port, payload)
        TALLY.requests += 1
        TALLY.by_backend["gunicorn"] += 1
        statuses[payload[:60]] = status
        if status is not None and status >= 500:
            TALLY.server_errors += 1
    assert {k: v for k, v in statuses.items() if v is not None and v >= 500} == {}
    # Most are refused by gunicorn or the app with a 4xx; none went unanswered by both.
    assert sum(1 for v in statuses.values() if v is not None and 400 <= v < 500) >= 15
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200  # the worker lives on
    assert '"status": "400"' in log.read_text(errors="replace")  # the log is read, and is JSON
    assert _log_problems(log) == []


def test_hostile_values_over_real_http_get_no_server_error(
    gunicorn_url: tuple[str, Path],
) -> None:
    base, log = gunicorn_url
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        login = client.get("/staff/login")
        assert login.status_code == 200
        paths = ["/p/{}", "/language/{}", "/clinician/episodes/{}", "/p/answer/{}", "/{}"]
        for template in paths:
            for segment in HOSTILE_SEGMENTS:
                response = client.get(template.format(segment) + "?next=" + segment)
                statuses[f"GET {template.format(segment)[:80]}"] = response.status_code
        for value in HOSTILE_TEXT:
            for path in ("/staff/login", "/p/answer/1", "/staff/session/extend", "/p/finish"):
                response = client.post(
                    path,
                    content=f"username={value}&password={value}&next={value}".encode(
                        "utf-8", "surrogatepass"
                    )
                    + b"&x=\xff",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                statuses[f"POST {path} {value[:40]!r}"] = response.status_code
    TALLY.requests += len(statuses)
    TALLY.by_backend["gunicorn"] += len(statuses)
    server_errors = {k: v for k, v in statuses.items() if v >= 500}
    TALLY.server_errors += len(server_errors)
    assert server_errors == {}
    assert _log_problems(log) == []
