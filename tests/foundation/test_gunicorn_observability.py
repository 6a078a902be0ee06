"""A real gunicorn with two workers, as production runs it (gunicorn.conf.py):

every line it writes is JSON, every request has one id from the proxy's header to the
app's lines and the access line (echoed to the caller), a failed login names no one but
says who (as a keyed pseudonym) and from where, what staff search for in a query string
(a record id, a username) is in no line, and /metrics adds up both workers.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fit_platform.db import Database
from fit_platform.db.models import Patient
from fit_platform.domain.codes import Role
from fit_platform.logging_setup import user_reference
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import csrf_token
from tests.support.web_session import staff_client

ROOT = Path(__file__).resolve().parents[2]
SECRET = "gunicorn-test-secret-key-0123456789"
RECORD_ID = "EPJ-778899"


@dataclass
class Server:
    url: str
    stdout: Path
    stderr: Path
    admin: str
    therapist: str
    unit_id: int

    def lines(self) -> list[dict[str, object]]:
        text = self.stdout.read_text() + self.stderr.read_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("gunicorn")
    shutil.copyfile(sqlite_template, tmp / "g.sqlite3")
    db = Database(f"sqlite:///{tmp / 'g.sqlite3'}")
    world = make_world(db)
    with db.transaction() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None
        patient.external_id = RECORD_ID
    admin = make_staff(db, (Role.ADMIN, None)).username
    db.dispose()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "FIT_ENV": "test",
        "FIT_DATABASE_URL": f"sqlite:///{tmp / 'g.sqlite3'}",
        "FIT_INSTANCE_PATH": str(tmp),
        "FIT_SECRET_KEY": SECRET,
        "FIT_TRUSTED_PROXIES": "1",
        "FIT_METRICS_ENABLED": "true",
        "FIT_BIND": f"127.0.0.1:{port}",
        "FIT_WEB_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
    }
    stdout, stderr = tmp / "stdout.log", tmp / "stderr.log"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start: " + stderr.read_text()[-2000:])
        yield Server(url, stdout, stderr, admin, world.therapist_username, world.unit_id)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for(server: Server, predicate, what: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    for _ in range(100):
        found = [line for line in server.lines() if predicate(line)]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no log line {what}")


def test_the_proxys_request_id_is_echoed_and_on_the_access_line(server: Server) -> None:
    response = httpx.get(f"{server.url}/staff/login", headers={"X-Request-ID": "edge-4f2a-77"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "edge-4f2a-77"
    access = _wait_for(
        server,
        lambda line: line.get("event") == "access" and line.get("request_id") == "edge-4f2a-77",
        "for the proxy's request id",
    )
    assert access[0]["path"] == "/staff/login" and access[0]["status"] == "200"
    assert access[0]["logger"] == "gunicorn.access"


def test_a_request_without_an_id_gets_one_that_is_echoed_and_logged(server: Server) -> None:
    response = httpx.get(f"{server.url}/healthz")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    _wait_for(server, lambda line: line.get("request_id") == request_id, "with the new id")


def test_a_hostile_request_id_is_replaced(server: Server) -> None:
    response = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": 'a b"<script>'})
    assert response.headers["X-Request-ID"] != 'a b"<script>'


def test_a_failed_login_is_logged_with_a_pseudonym_the_client_and_the_request_id(
    server: Server,
) -> None:
    username = "no.such.person@dps.example"
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/staff/login?lang=en").text
        response = client.post(
            "/staff/login",
            data={"username": username, "password": "wrong", "csrf_token": csrf_token(page)},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
    assert response.status_code == 401
    failed = _wait_for(server, lambda line: line.get("event") == "login_failed", "login_failed")
    line = failed[-1]
    assert line["user_ref"] == user_reference(username, SECRET)
    assert line["client"] == "198.51.100.7"
    assert line["request_id"] == response.headers["X-Request-ID"]
    everything = server.stdout.read_text() + server.stderr.read_text()
    assert username not in everything


def test_every_line_gunicorn_and_the_app_write_is_json(server: Server) -> None:
    httpx.get(f"{server.url}/p/SomeLinkTokenThatMustNotBeLogged")
    time.sleep(0.2)
    lines = server.lines()  # json.loads raises on any line that is not JSON
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # "Booting worker" etc.
    assert "SomeLinkTokenThatMustNotBeLogged" not in json.dumps(lines)


def test_no_value_staff_search_for_reaches_any_log_line(server: Server) -> None:
    """The administrator's patient search and access review, and the caseload's filters,
    keep their terms in the query string: the access line keeps the parameter names only."""
    searched_name = "kari.searched@dps.example"
    urls = [
        f"/admin/patients?unit={server.unit_id}&record_id={RECORD_ID}",
        f"/admin/access-log?patient={RECORD_ID}&staff={searched_name}",
        "/clinician/?sort=name&show=fewer&scope=mine",
    ]
    admin = staff_client(server.url, server.admin, PASSWORD)
    found = admin.get(urls[0])
    assert found.status_code == 200 and RECORD_ID in found.text  # the search ran
    assert admin.get(urls[1]).status_code == 200
    admin.close()
    therapist = staff_client(server.url, server.therapist, PASSWORD)
    assert therapist.get(urls[2]).status_code == 200
    therapist.close()
    # Logged out: the login page's next= carries the whole search along.
    with httpx.Client(base_url=server.url, follow_redirects=True) as anonymous:
        assert anonymous.get(urls[0]).url.path == "/staff/login"
    lines = _wait_for(
        server,
        lambda line: line.get("event") == "access" and "scope=" in str(line.get("msg")),
        "for the caseload filter",
    )
    # The logged-out request came last, and its line may be written a moment later.
    _wait_for(
        server,
        lambda line: (
            line.get("event") == "access"
            and str(line.get("msg")).startswith("GET /staff/login?next=")
        ),
        "for the login page",
    )
    everything = server.stdout.read_text() + server.stderr.read_text()
    for secret in (RECORD_ID, "778899", searched_name, "kari.searched"):
        assert secret not in everything
    assert lines[-1]["msg"] == (
        "GET /clinician/?sort=[redacted]&show=[redacted]&scope=[redacted] HTTP/1.1"
    )
    access = [line for line in server.lines() if line.get("event") == "access"]
    assert any(
        line["msg"] == "GET /admin/patients?unit=[redacted]&record_id=[redacted] HTTP/1.1"
        for line in access
    )
    assert any(str(line["msg"]).startswith("GET /staff/login?next=[redacted]") for line in access)


def test_metrics_add_up_the_requests_of_both_workers(server: Server) -> None:
    def auth_ok() -> float:
        text = httpx.get(f"{server.url}/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = sample.labels
                if (
                    sample.name == "fit_http_requests_total"
                    and labels.get("group") == "auth"
                    and labels.get("method") == "GET"
                    and labels.get("status") == "2xx"
                ):
                    return sample.value
        return 0.0

    before = auth_ok()
    for _ in range(20):
        with httpx.Client() as fresh:  # a new connection each time: both workers take some
            response = fresh.get(f"{server.url}/staff/login")
            assert response.status_code == 200
    assert auth_ok() - before == 20
