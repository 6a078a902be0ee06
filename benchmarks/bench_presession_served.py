"""The pre-session view served as in production, next to the account page in the same run.

Run from the project root (wrk must be installed; ``./dev bench`` installs it):
``python benchmarks/bench_presession_served.py [--seconds S] [--rounds R]``.

The same patient as ``bench_presession.py`` (two years of weekly PHQ-9, GAD-7 and SAI, open
signals, a goal, a topic, an appointment) in a throwaway PostgreSQL. gunicorn serves the app
with the production settings and ``gunicorn.conf.py`` (2 sync workers, JSON access log); the
therapist logs in through the real login form; then wrk, one connection, asks for the view and
for the account page (same login, same layout, no patient data) in turn, R rounds of S seconds
each, and prints each page's p50 and p95 latency, the ratio of the p95s and the workers' CPU
per request.

Why this as well as ``bench_presession.py``: that one calls the app through Flask's test client,
which leaves out what every served request pays on top (the HTTP server, the access log line,
the socket). The goal is about pages as a therapist gets them, so this is its measure; the
in-process one stays, because it shows the app's own cost without the server's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_patient_pages import (
    CSRF,
    _children,
    cpu_seconds,
    gunicorn,
    production_app_in_process,
    server_env,
)
from benchmarks.bench_presession import seed_patient_with_history
from fit_platform.db import Base, models  # noqa: F401 - registers the tables
from fit_platform.db.session import make_engine
from tests.support.factories import PASSWORD

# wrk's own summary prints p50/p75/p90/p99; the goal is stated at p95, so the script says it.
LATENCY_SCRIPT = """
wrk.headers["Cookie"] = "{cookie}"
done = function(summary, latency, requests)
  io.write(string.format("P50 %f\\n", latency:percentile(50) / 1000))
  io.write(string.format("P95 %f\\n", latency:percentile(95) / 1000))
  io.write(string.format("COUNT %d\\n", summary.requests))
  io.write(string.format("BAD %d\\n", summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def log_in(url: str, username: str) -> str:
    """The therapist's session cookie, from the real login form."""
    with httpx.Client(base_url=url, timeout=30) as client:
        match = CSRF.search(client.get("/staff/login?lang=en").text)
        assert match, "no CSRF token on the login page"
        response = client.post(
            "/staff/login",
            data={
                "username": username,
                "password": PASSWORD,
                "csrf_token": match.group(1) or match.group(2),
            },
        )
        assert response.status_code == 302, response.status_code
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def measure(url: str, cookie: str, seconds: int, workers: list[int]) -> dict[str, float]:
    """One wrk run, one connection (latency without queueing): p50, p95 ms, CPU ms/request."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(LATENCY_SCRIPT.replace("{cookie}", cookie))
    cpu_before = cpu_seconds(workers)
    try:
        output = subprocess.run(
            [
                *("wrk", "--threads", "1", "--connections", "1"),
                *("--duration", f"{seconds}s", "--script", handle.name, url),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    figures = {
        key.lower(): float(value)
        for key, value in (
            line.split()
            for line in output.splitlines()
            if line[:4] in {"P50 ", "P95 ", "COUN", "BAD "}
        )
    }
    figures["cpu_ms"] = (cpu_seconds(workers) - cpu_before) * 1000 / figures["count"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `./dev bench` (or apt-get install wrk)")

    from tests.support.postgres import throwaway_postgres

    with throwaway_postgres() as database_url:
        engine = make_engine(database_url)
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        engine.dispose()
        app = production_app_in_process(database_url)
        db = app.extensions["fit_db"]
        world = seed_patient_with_history(db)
        db.dispose()
        pages = {
            "pre-session view (312 responses)": f"/clinician/episodes/{world.episode_id}",
            "baseline: account page": "/staff/account",
        }
        load_before = os.getloadavg()
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
        with gunicorn("wsgi:app", server_env(database_url), "gunicorn.conf.py") as (url, master):
            cookie = log_in(url, world.therapist_username)
            workers = _children(master)
            for path in pages.values():  # warm-up: both workers compile the templates
                measure(url + path, cookie, 2, workers)
            # Interleaved, so both pages see the same machine.
            for _ in range(args.rounds):
                for name, path in pages.items():
                    runs[name].append(measure(url + path, cookie, args.seconds, workers))
        load_after = os.getloadavg()
    print(
        f"gunicorn 2 sync workers (gunicorn.conf.py, production settings), PostgreSQL, loopback, "
        f"wrk 1 connection, {args.rounds} x {args.seconds} s per page, {os.cpu_count()} CPUs; "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    for name, found in runs.items():
        bad = sum(run["bad"] for run in found)
        print(
            f"  {name:34} p50 "
            + ", ".join(f"{run['p50']:5.1f}" for run in found)
            + " ms   p95 "
            + ", ".join(f"{run['p95']:5.1f}" for run in found)
            + " ms   worker CPU "
            + ", ".join(f"{run['cpu_ms']:5.1f}" for run in found)
            + f" ms/req   {sum(run['count'] for run in found):.0f} requests, {bad:.0f} errors"
        )
    view, account = (runs[name] for name in pages)
    ratios = [v["p95"] / a["p95"] for v, a in zip(view, account, strict=True)]
    cpu = [v["cpu_ms"] / a["cpu_ms"] for v, a in zip(view, account, strict=True)]
    print(
        "  p95 view / account page, per round: "
        + ", ".join(f"{r:.2f}x" for r in ratios)
        + f" (mean {statistics.fmean(ratios):.2f}x; goal <= 3x); worker CPU view / account: "
        + ", ".join(f"{r:.2f}x" for r in cpu)
    )


if __name__ == "__main__":
    main()
