"""The patient pages under load with wrk, next to a bare Flask "hello" measured in the same run.

Run from the project root (wrk must be installed; ``./dev bench`` installs it):
``python benchmarks/bench_patient_pages.py [--patients N] [--seconds S] [--connections C]``.

Starts a throwaway PostgreSQL on loopback (or uses FIT_TEST_DATABASE_URL, which is emptied),
creates N PHQ-9 invitations, serves the real app with gunicorn (2 sync workers, the project's
``gunicorn.conf.py``: JSON access log, app log at INFO, both written to /dev/null) and opens
each link once (landing GET, start POST) to get a browser session per patient. Then wrk, with
a Lua script that goes round the N patients, measures for S seconds each:

- ``GET /p/<token>``       the landing page (a different link on each request);
- ``GET /p/answer/1``      the first page of the questionnaire (each patient's own cookie);
- ``POST /p/answer/1``     saving that page (answers alternate, so rows really change);

and, in the same run and the same way, a bare Flask app that answers "hello" (gunicorn's
defaults, before and after the pages: the goal's baseline). A last run serves the same hello
behind the project's ``gunicorn.conf.py``, as a reference for what the JSON access line costs
every page. Prints
requests/s, latency percentiles, each page's share of the hello rate, the web workers' and the
database backends' CPU per request, the machine load, and the peak resident memory (VmHWM) of
each web worker after the run.

Rate limiting is switched off in the benchmark server (``FIT_RATELIMIT_ENABLED=false``): every
request comes from one address.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
SECRET_KEY = "benchmark-secret-key-not-for-production"


def hello_app() -> Any:
    """gunicorn entry point of the baseline: Flask and nothing else."""
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


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes used so far. Load from other processes on the
    machine changes it far less than requests/s: the steadier figure on a shared machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def database_backends(database_url: str) -> list[int]:
    """The PostgreSQL backend processes serving the benchmark's database (the web workers'
    connections), for the database's share of each request's CPU."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds([pid])
        except OSError:  # ended meanwhile
            continue
    return found


def peak_rss_mib(pid: int) -> float:
    """Peak resident set size (VmHWM) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def production_app_in_process(database_url: str) -> Any:
    """The app with the benchmark server's production settings, for in-process timing and
    profiling: its JSON log lines are formatted (that is part of the cost) but not shown."""
    import logging

    from fit_platform.app import create_app

    app = create_app(
        overrides={
            "environment": "production",
            "database_url": database_url,
            "secret_key": SECRET_KEY,
            "totp_encryption_key": "pRmgMa8T0INjEAfksaq2aafzoZXEuwKI7wDe4c1F8AY=",
            "public_base_url": "http://127.0.0.1",
            "allow_insecure_http": True,  # loopback lab, no TLS proxy in front
            "log_level": "INFO",
            "ratelimit_enabled": False,
        }
    )
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # type: ignore[attr-defined]  # noqa: SIM115
    return app


def server_env(database_url: str) -> dict[str, str]:
    """The benchmark server's production settings, as environment variables for gunicorn."""
    return {
        "FIT_ENV": "production",
        "FIT_DATABASE_URL": database_url,
        "FIT_SECRET_KEY": SECRET_KEY,
        "FIT_TOTP_ENCRYPTION_KEY": "pRmgMa8T0INjEAfksaq2aafzoZXEuwKI7wDe4c1F8AY=",
        "FIT_PUBLIC_BASE_URL": "http://127.0.0.1",
        "FIT_ALLOW_INSECURE_HTTP": "true",  # loopback lab, no TLS proxy in front
        "FIT_LOG_LEVEL": "INFO",
        "FIT_RATELIMIT_ENABLED": "false",  # all load comes from one address
    }


@contextmanager
def gunicorn(entry: str, env: dict[str, str], config: str) -> Iterator[tuple[str, int]]:
    """Serve ``entry`` with 2 sync workers; yields (base URL, master pid)."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        config,
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        entry,
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                httpx.get(url + "/healthz" if entry == "wsgi:app" else url + "/", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    # Its output goes to /dev/null (it would cost the run); say how to see it.
                    raise RuntimeError(
                        f"gunicorn {entry} exited with status {process.returncode}; "
                        f"run it by hand to see why: {' '.join(command[1:])}"
                    ) from None
                time.sleep(0.05)
        else:
            raise RuntimeError(f"gunicorn {entry} did not start")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


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


def open_links(url: str, tokens: list[str]) -> list[tuple[str, str]]:
    """Open each link as a patient would (landing, start); returns (cookie, CSRF token) pairs."""
    sessions = []
    for token in tokens:
        with httpx.Client(base_url=url, timeout=30) as client:
            match = CSRF.search(client.get(f"/p/{token}").text)
            assert match, "no CSRF token on the landing page"
            csrf = match.group(1) or match.group(2)
            started = client.post(f"/p/{token}", data={"csrf_token": csrf, "action": "start"})
            assert started.status_code == 302, started.status_code
            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
            sessions.append((cookie, csrf))
    return sessions


def _lua_list(values: list[str]) -> str:
    return (
        "{"
        + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        + "}"
    )


# Each wrk thread goes round the patients from its own starting point.
LUA_COMMON = """
local counter = 0
local offset = 0
local thread_number = 0
function setup(thread)
  thread:set("offset", thread_number * 7919)
  thread_number = thread_number + 1
end
local function pick(list)
  counter = counter + 1
  return (counter + offset) % #list + 1, counter
end
"""


def lua_landing(tokens: list[str]) -> str:
    return (
        f"local tokens = {_lua_list(tokens)}\n{LUA_COMMON}"
        "request = function()\n"
        "  local i = pick(tokens)\n"
        '  return wrk.format("GET", "/p/" .. tokens[i])\n'
        "end\n"
    )


def lua_answer_get(sessions: list[tuple[str, str]]) -> str:
    cookies = [c for c, _ in sessions]
    return (
        f"local cookies = {_lua_list(cookies)}\n{LUA_COMMON}"
        "request = function()\n"
        "  local i = pick(cookies)\n"
        '  return wrk.format("GET", "/p/answer/1", {["Cookie"] = cookies[i]})\n'
        "end\n"
    )


def lua_answer_post(sessions: list[tuple[str, str]]) -> str:
    cookies = [c for c, _ in sessions]
    csrfs = [t for _, t in sessions]
    return (
        f"local cookies = {_lua_list(cookies)}\nlocal csrfs = {_lua_list(csrfs)}\n{LUA_COMMON}"
        "request = function()\n"
        "  local i, n = pick(cookies)\n"
        "  local v = math.floor(n / #cookies) % 4\n"
        '  local body = "csrf_token=" .. csrfs[i]\n'
        '  for item = 1, 5 do body = body .. "&phq9_" .. item .. "=" .. v end\n'
        '  return wrk.format("POST", "/p/answer/1", {["Cookie"] = cookies[i],\n'
        '    ["Content-Type"] = "application/x-www-form-urlencoded"}, body)\n'
        "end\n"
    )


def lua_plain() -> str:
    return 'request = function() return wrk.format("GET", "/") end\n'


LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
TOTAL = re.compile(r"(\d+) requests in")


def run_wrk(
    url: str,
    script: str,
    seconds: int,
    connections: int,
    workers: list[int] | None = None,
    database_url: str | None = None,
) -> dict[str, float]:
    cpu_before = cpu_seconds(workers or [])
    db_before = _cpu_by_pid(database_backends(database_url)) if database_url else {}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            [
                "wrk",
                "--threads",
                "2",
                "--connections",
                str(connections),
                "--duration",
                f"{seconds}s",
                "--latency",
                "--script",
                handle.name,
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    figures = {f"p{p}": float(v) * unit[u] for p, v, u in LATENCY.findall(output)}
    rate = RATE.search(output)
    total = TOTAL.search(output)
    bad = NON_2XX.search(output)
    assert rate and total, output
    figures["rps"] = float(rate.group(1))
    figures["requests"] = float(total.group(1))
    figures["bad"] = float(bad.group(1)) if bad else 0.0
    cpu = cpu_seconds(workers or []) - cpu_before
    figures["cpu_ms"] = cpu * 1000 / figures["requests"] if figures["requests"] else 0.0
    if database_url and figures["requests"]:
        # A backend that connected during the run counts from zero.
        db_after = _cpu_by_pid(database_backends(database_url))
        db_cpu = sum(after - db_before.get(pid, 0.0) for pid, after in db_after.items())
        figures["db_cpu_ms"] = db_cpu * 1000 / figures["requests"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    # Seconds of load before each measured run (connections opened, code paths warm); 0 for
    # none, as in the smoke test that keeps this script working (its figures say nothing).
    parser.add_argument("--warm-up", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `./dev bench` (or apt-get install wrk)")

    from tests.support.postgres import throwaway_postgres

    load_before = os.getloadavg()
    results: dict[str, dict[str, float]] = {}
    hello_runs: list[dict[str, float]] = []
    rss: list[float] = []

    def hello_baseline(
        config: str = "/dev/null", env: dict[str, str] | None = None
    ) -> dict[str, float]:
        entry = "benchmarks.bench_patient_pages:hello_app()"
        with gunicorn(entry, env or {}, config) as (hello_url, hello_master):
            if args.warm_up:
                run_wrk(hello_url, lua_plain(), args.warm_up, args.connections)
            workers = _children(hello_master)
            return run_wrk(hello_url, lua_plain(), args.seconds, args.connections, workers)

    with throwaway_postgres() as database_url:
        tokens = setup_invitations(database_url, args.patients)
        env = server_env(database_url)
        # The baseline before and after the pages: the load of a shared machine drifts.
        hello_runs.append(hello_baseline())
        with gunicorn("wsgi:app", env, "gunicorn.conf.py") as (url, master):
            sessions = open_links(url, tokens)
            scenarios = [
                ("landing GET /p/<token>", lua_landing(tokens)),
                ("answer page GET /p/answer/1", lua_answer_get(sessions)),
                ("page save POST /p/answer/1", lua_answer_post(sessions)),
            ]
            workers = _children(master)
            for name, script in scenarios:
                if args.warm_up:
                    run_wrk(url, script, args.warm_up, args.connections)
                results[name] = run_wrk(
                    url, script, args.seconds, args.connections, workers, database_url
                )
            rss = [peak_rss_mib(pid) for pid in workers]
        hello_runs.append(hello_baseline())
        # Not the goal's baseline, a reference: the same hello behind the production gunicorn
        # settings, whose JSON access line (with its token redaction) every page also pays.
        # gunicorn.conf.py checks the production settings in the master before it forks, so
        # this hello gets the same settings as the app, though it reads none of them.
        logged_hello = hello_baseline("gunicorn.conf.py", env)
    hello = {
        key: statistics.fmean(run[key] for run in hello_runs)
        for key in ("rps", "p50", "p90", "p99", "bad", "cpu_ms", "requests")
    }
    results["baseline: Flask hello GET / (mean)"] = hello
    results["reference: hello, gunicorn.conf.py"] = logged_hello
    load_after = os.getloadavg()
    print(
        f"gunicorn 2 sync workers, PostgreSQL, loopback, wrk 2 threads {args.connections} "
        f"connections {args.seconds} s, {os.cpu_count()} CPUs, {args.patients} patients; "
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f}"
    )
    print(
        "hello runs before/after the pages: "
        + " / ".join(f"{run['rps']:.0f} req/s" for run in hello_runs)
    )
    print(
        f"{'':36} {'req/s':>7} {'of hello':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}"
        f" {'non-2xx/3xx':>11} {'worker CPU ms/req':>18} {'CPU hello/page':>15}"
        f" {'db CPU ms/req':>14}"
    )
    for name, f in results.items():
        print(
            f"{name:36} {f['rps']:7.0f} {f['rps'] / hello['rps']:9.1%} {f.get('p50', 0):8.2f} "
            f"{f.get('p90', 0):8.2f} {f.get('p99', 0):8.2f} {f['bad']:11.0f} "
            f"{f['cpu_ms']:18.2f} {hello['cpu_ms'] / f['cpu_ms'] if f['cpu_ms'] else 0:15.1%}"
            + (f" {f['db_cpu_ms']:14.2f}" if "db_cpu_ms" in f else "")
        )
    total = sum(f["requests"] for name, f in results.items() if "hello" not in name)
    print(
        f"peak RSS of the web workers after {total:.0f} patient requests: "
        + ", ".join(f"{m:.0f} MiB" for m in rss)
    )


if __name__ == "__main__":
    main()
