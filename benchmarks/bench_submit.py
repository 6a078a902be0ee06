"""The patient submit path under load, next to a bare Flask "hello" measured in the same run.

Run from the project root:
``python benchmarks/bench_submit.py [--invitations N] [--concurrency N]``.

Starts a throwaway PostgreSQL on loopback (or uses FIT_TEST_DATABASE_URL), creates the schema,
generates N PHQ-9 invitations with link tokens up front, and serves the app with gunicorn
(2 sync workers) on loopback. Each simulated patient opens the landing page, starts, saves both
pages and submits, from its own cookie jar; a thread pool of httpx clients is the load.
Prints requests/s and p50/p95 latency for the page saves and for the submit, then for a bare
Flask "hello" endpoint served the same way.

Rate limiting is switched off in the benchmark server: all load comes from one address.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def patient_app() -> Any:
    """gunicorn entry point: the real app, rate limiting off (one client address)."""
    from fit_platform.app import create_app
    from fit_platform.extensions import limiter

    app = create_app()
    limiter.enabled = False
    return app


def hello_app() -> Any:
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "hello"

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(entry: str, env: dict[str, str]) -> Any:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            f"benchmarks.bench_submit:{entry}()",
        ],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def setup_invitations(database_url: str, n: int) -> list[str]:
    from fit_platform.db import Base, Database, models  # noqa: F401
    from fit_platform.db.models import Episode, Invitation, Patient, Unit
    from fit_platform.domain.codes import InvitationState, UnitKind
    from fit_platform.services.links import mint_token

    db = Database(database_url)
    Base.metadata.drop_all(db.engine)
    Base.metadata.create_all(db.engine)
    now = dt.datetime.now(dt.UTC)
    tokens = []
    with db.transaction() as session:
        unit = Unit(
            code="bench", name="DPS Bench", kind=UnitKind.OUTPATIENT, phone="+47 22 00 00 00"
        )
        session.add(unit)
        session.flush()
        for i in range(n):
            patient = Patient(display_name=f"Bench {i}", phone_e164=f"+4790{i:06d}")
            session.add(patient)
            session.flush()
            episode = Episode(patient_id=patient.id, unit_id=unit.id, started_on=now.date())
            session.add(episode)
            session.flush()
            invitation = Invitation(
                episode_id=episode.id,
                instrument_id="phq9",
                slot_key=f"bench:{i}",
                state=InvitationState.SENT,
                due_at=now,
                expires_at=now + dt.timedelta(days=2),
                sent_at=now,
            )
            session.add(invitation)
            session.flush()
            tokens.append(mint_token(session, invitation, now))
    db.dispose()
    return tokens


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token"
    return match.group(1) or match.group(2)


def one_patient(url: str, token: str) -> tuple[list[float], float]:
    """Answer a whole PHQ-9; returns (page save latencies, submit latency) in seconds."""
    with httpx.Client(base_url=url, timeout=30) as client:
        csrf = _csrf(client.get(f"/p/{token}").text)
        start = client.post(f"/p/{token}", data={"csrf_token": csrf, "action": "start"})
        assert start.status_code == 302, start.status_code
        saves = []
        for page, ids in ((1, range(1, 6)), (2, range(6, 11))):
            data = {"csrf_token": csrf, **{f"phq9_{i}": "1" for i in ids}, "phq9_9": "0"}
            if page == 1:
                data.pop("phq9_9")
            t0 = time.perf_counter()
            saved = client.post(f"/p/answer/{page}", data=data)
            saves.append(time.perf_counter() - t0)
            assert saved.status_code == 302, saved.status_code
        t0 = time.perf_counter()
        submitted = client.post("/p/finish", data={"csrf_token": csrf, "topic": "Sleep"})
        submit = time.perf_counter() - t0
        assert submitted.status_code == 302 and submitted.headers["location"] == "/p/done"
        return saves, submit


def _latency(name: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    median = statistics.median(ordered) * 1000
    print(f"  {name:<26} p50 {median:7.1f} ms   p95 {p95 * 1000:7.1f} ms   (n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invitations", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    from tests.support.postgres import throwaway_postgres

    load_before = os.getloadavg()[0]

    with throwaway_postgres() as database_url:
        tokens = setup_invitations(database_url, args.invitations)
        env = {
            "FIT_ENV": "production",
            "FIT_DATABASE_URL": database_url,
            "FIT_SECRET_KEY": "benchmark-secret-key-not-for-production",
            "FIT_TOTP_ENCRYPTION_KEY": "pRmgMa8T0INjEAfksaq2aafzoZXEuwKI7wDe4c1F8AY=",
            "FIT_PUBLIC_BASE_URL": "http://127.0.0.1",
            # Production settings over http on loopback: a lab, so say so.
            "FIT_ALLOW_INSECURE_HTTP": "true",
            "FIT_LOG_LEVEL": "WARNING",
        }
        with gunicorn("patient_app", env) as url:
            one_patient(url, tokens.pop())  # warm-up
            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(lambda t: one_patient(url, t), tokens))
            wall = time.perf_counter() - t0
        # The same settings: gunicorn reads the project's gunicorn.conf.py from the working
        # folder, which checks them at start even for an app that does not use them.
        with gunicorn("hello_app", env) as hello_url:
            with httpx.Client(base_url=hello_url) as warm:
                warm.get("/")

            def hello_journey(_: int) -> list[float]:
                # Same pattern as a patient: one client (cookie jar) per journey, 5 requests.
                out = []
                with httpx.Client(base_url=hello_url, timeout=30) as client:
                    for _request in range(5):
                        t = time.perf_counter()
                        client.get("/")
                        out.append(time.perf_counter() - t)
                return out

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                hello_lat = [x for j in pool.map(hello_journey, range(len(results))) for x in j]
            hello_wall = time.perf_counter() - t0

    saves = [s for r in results for s in r[0]]
    submits = [r[1] for r in results]
    # Each journey is 5 requests: landing GET, start POST, two page-save POSTs, submit POST.
    requests = len(results) * 5
    print(
        f"gunicorn 2 sync workers, PostgreSQL, loopback, {args.concurrency} concurrent clients, "
        f"{os.cpu_count()} CPUs, load average before {load_before:.2f}"
    )
    print(
        f"patient journeys: {len(results) / wall:.1f} submits/s, "
        f"{requests / wall:.1f} requests/s ({requests} requests in {wall:.1f} s)"
    )
    _latency("page save POST", saves)
    _latency("submit POST", submits)
    print(f"baseline Flask hello: {len(hello_lat) / hello_wall:.1f} requests/s")
    _latency("hello GET", hello_lat)


if __name__ == "__main__":
    main()
