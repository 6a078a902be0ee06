"""Gunicorn, as production runs it, never writes a patient link token to its access log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fit_platform.gunicorn_logging import _safe_atom as logger_atom
from fit_platform.logging_setup import mask_query, mask_request_line

ROOT = Path(__file__).resolve().parents[2]


def test_access_log_redacts_link_tokens(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "FIT_ENV": "test",
        "FIT_DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite3'}",
        "FIT_INSTANCE_PATH": str(tmp_path),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access_log),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    token = "Q2hlY2tUaGF0VGhpc1Rva2VuTmV2ZXJBcHBlYXJzSW5Mb2dz"
    try:
        for _ in range(100):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/p/{token}?code=998877", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
    finally:
        process.terminate()
        process.wait(timeout=10)
    text = access_log.read_text()
    assert "/p/[redacted]" in text
    assert token not in text and "998877" not in text
    # The line's fields, as gunicorn's own atoms give them, joined to the app by request id.
    line = json.loads(text.splitlines()[-1])
    assert line["msg"] == "GET /p/[redacted]?code=[redacted] HTTP/1.1"
    assert line["event"] == "access" and line["logger"] == "gunicorn.access"
    assert line["request_id"] == answer.headers["X-Request-ID"]
    assert line["method"] == "GET" and line["path"] == "/p/[redacted]"
    assert line["status"] == str(answer.status_code)
    assert line["bytes"] == len(answer.content)
    assert line["client"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def test_every_query_value_is_masked_in_each_url_atom_and_only_plain_names_stay() -> None:
    assert mask_query("/admin/access-log?patient=EPJ-1&&staff=a%40b&EPJ-2") == (
        "/admin/access-log?patient=[redacted]&&staff=[redacted]&[redacted]"
    )
    assert mask_query("/admin/patients") == "/admin/patients"
    assert mask_request_line("GET /x?record_id=EPJ-1 HTTP/1.1") == (
        "GET /x?record_id=[redacted] HTTP/1.1"
    )
    for key, value in {
        "r": "GET /p/SomeLinkToken123?record_id=EPJ-1 HTTP/1.1",
        "q": "record_id=EPJ-1",
        "f": "https://fit.example/admin/patients?unit=1&record_id=EPJ-1",
    }.items():
        assert "EPJ-1" not in logger_atom(key, value)
        assert "SomeLinkToken123" not in logger_atom(key, value)
