"""Dispatch throughput to the loopback SMS endpoint, with a same-run baseline.

Run from the project root: ``python benchmarks/bench_dispatch.py [--messages N]``.
Uses FIT_BENCH_DATABASE_URL (emptied!) or starts a throwaway PostgreSQL server.

Queues N invitation messages (through the real enqueue), then measures:

- one dispatcher process draining the outbox (claim, consent re-check, token, render,
  HTTP send, record: three transactions per message), then two and four side by side;
- the baseline: the endpoint's raw request rate, the same N JSON POSTs from one
  `httpx.Client` with nothing else around them, and from two such clients in two processes
  side by side (the fair baseline for two dispatchers); each measured before and after the
  dispatcher runs, and the mean used (the load of a shared machine drifts).

Besides messages/s it prints where the CPU went per message (the dispatchers, the PostgreSQL
server's processes, the endpoint), the claims lost between dispatchers, and the dispatchers'
peak resident memory: on a 2-core machine the sum of those CPU times, not the code of one
process, bounds what more dispatchers can add.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import resource
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import text

from fit_platform.config import default_zone
from fit_platform.db import Base, Database, models  # noqa: F401 - registers the tables
from fit_platform.domain.codes import Channel
from fit_platform.messaging.dispatcher import Dispatcher, DispatcherSettings
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.services.invitations import enqueue_due
from tests.support.sms_endpoint import SmsEndpoint, serve_sms_endpoint

NOW = dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)


def populate(db: Database, n: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "TRUNCATE unit, staff, patient, episode, schedule_plan, schedule_rule, appointment,"
                " invitation, invitation_token, outbox_message RESTART IDENTITY CASCADE"
            )
        )
        for statement in (
            "INSERT INTO unit (id, code, name, kind, created_at) VALUES (1, 'u1', 'Nordre DPS',"
            " 'outpatient', now())",
            "INSERT INTO patient (id, display_name, phone_e164, preferred_language,"
            " preferred_channel, consent_state, created_at) SELECT g, 'p' || g, '+4791234567',"
            " 'nb', 'sms', 'active', now() FROM generate_series(1, :n) g",
            "INSERT INTO episode (id, patient_id, unit_id, status, started_on, created_at)"
            " SELECT g, g, 1, 'active', DATE '2026-01-01', now() FROM generate_series(1, :n) g",
            # One therapist responsible for every episode: the scheduler asks nothing of a
            # patient whose answers nobody would see (services/unattended.py).
            "INSERT INTO staff (id, username, display_name, password_hash, preferred_language,"
            " is_active, failed_logins, created_at) VALUES (1, 't1@bench', 'T1', 'x', 'nb',"
            " true, 0, now())",
            # ... who holds the therapist role in the episodes' unit (a link alone is not enough).
            "INSERT INTO staff_role (staff_id, role, unit_id) VALUES (1, 'therapist', 1)",
            "INSERT INTO episode_therapist (episode_id, staff_id, responsible)"
            " SELECT g, 1, true FROM generate_series(1, :n) g",
            "INSERT INTO schedule_plan (id, name, episode_id, quiet_from, quiet_until, created_at)"
            " SELECT g, 'plan', g, '21:00', '08:00', now() FROM generate_series(1, :n) g",
            "INSERT INTO schedule_rule (plan_id, instrument_id, trigger, offset_hours,"
            " window_hours, min_interval_hours, active) SELECT g, 'srs', 'after_appointment', 1,"
            " 48, 0, true FROM generate_series(1, :n) g",
            "INSERT INTO appointment (episode_id, starts_at, status, updated_at)"
            " SELECT g, :now - interval '2 hours', 'planned', now() FROM generate_series(1, :n) g",
        ):
            connection.execute(text(statement), {"n": n, "now": NOW})
        for table in ("unit", "staff", "patient", "episode", "schedule_plan"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
    enqueue_due(db, NOW, zone=default_zone())


def _drain(
    url: str, base_url: str, token: str, ready: Any, go: Any, cpu: Any, lost: Any, rss: Any
) -> None:
    db = Database(url)
    dispatcher = Dispatcher(
        db,
        {Channel.SMS: HttpSmsChannel(SmsHttpConfig(base_url, token, 5.0))},
        lambda t: f"https://fit.example.no/p/{t}",
        DispatcherSettings(batch_size=100),
        lambda: NOW,
    )
    ready.set()
    go.wait()
    started = time.process_time()
    result = dispatcher.drain(max_rounds=10**6)
    cpu.value = time.process_time() - started
    lost.value = result.lost_claims
    rss.value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dispatcher.close()
    db.dispose()


@dataclass
class Run:
    seconds: float
    dispatcher_cpu: float  # seconds, all dispatchers together
    database_cpu: float  # seconds, the PostgreSQL server's processes
    endpoint_cpu: float  # seconds, this process (the endpoint's threads)
    lost_claims: int
    peak_rss_mib: float  # the largest dispatcher's


def _clock_ticks(stat: str, fields: slice) -> int:
    # /proc/PID/stat: fields after the command name, which may itself hold spaces.
    values = stat.rsplit(")", 1)[1].split()
    return sum(int(v) for v in values[fields])


def database_cpu_seconds(postmaster: int) -> float:
    """CPU of the PostgreSQL server: the postmaster, its reaped children (cutime, cstime)
    and its living children (connections, background workers)."""
    ticks = _clock_ticks(Path(f"/proc/{postmaster}/stat").read_text(), slice(11, 15))
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
            ticks += _clock_ticks(stat, slice(11, 13))
    return ticks / os.sysconf("SC_CLK_TCK")


def postmaster_pid(db: Database) -> int:
    with db.engine.connect() as connection:
        backend = connection.scalar(text("SELECT pg_backend_pid()"))
    stat = Path(f"/proc/{backend}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def run_dispatchers(url: str, endpoint: SmsEndpoint, count: int, postmaster: int) -> Run:
    """`count` dispatcher processes (as deployed: separate processes, one database)."""
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    readies = [context.Event() for _ in range(count)]
    cpus = [context.Value("d", 0.0) for _ in range(count)]
    losts = [context.Value("i", 0) for _ in range(count)]
    rsss = [context.Value("d", 0.0) for _ in range(count)]
    processes = [
        context.Process(
            target=_drain,
            args=(url, endpoint.base_url, endpoint.token, ready, go, cpu, lost, rss),
        )
        for ready, cpu, lost, rss in zip(readies, cpus, losts, rsss, strict=True)
    ]
    for process in processes:
        process.start()
    for ready in readies:
        ready.wait()
    database_before = database_cpu_seconds(postmaster)
    endpoint_before = time.process_time()
    started = time.perf_counter()
    go.set()
    for process in processes:
        process.join()
    return Run(
        seconds=time.perf_counter() - started,
        dispatcher_cpu=sum(cpu.value for cpu in cpus),
        database_cpu=database_cpu_seconds(postmaster) - database_before,
        endpoint_cpu=time.process_time() - endpoint_before,
        lost_claims=sum(lost.value for lost in losts),
        peak_rss_mib=max(rss.value for rss in rsss),
    )


def _raw_client(base_url: str, token: str, n: int, prefix: str, ready: Any, go: Any) -> None:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        ready.set()
        go.wait()
        for i in range(n):
            client.post(
                "/messages",
                json={
                    "to": "+4791234567",
                    "text": "Nordre DPS har sendt deg noen korte spørsmål.",
                    "reference": f"raw:{prefix}:{i}",
                },
            ).raise_for_status()


def raw_rate(endpoint: SmsEndpoint, n: int, clients: int) -> float:
    """Messages/s the endpoint takes from `clients` sequential clients (separate
    processes, as the dispatchers are), n messages in all."""
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    readies = [context.Event() for _ in range(clients)]
    processes = [
        context.Process(
            target=_raw_client,
            args=(endpoint.base_url, endpoint.token, n // clients, f"{index}", ready, go),
        )
        for index, ready in enumerate(readies)
    ]
    for process in processes:
        process.start()
    for ready in readies:
        ready.wait()
    started = time.perf_counter()
    go.set()
    for process in processes:
        process.join()
    return n // clients * clients / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args()
    n = args.messages

    with ExitStack() as stack:
        url = os.environ.get("FIT_BENCH_DATABASE_URL")
        if url is None:
            from tests.support.postgres import throwaway_postgres

            url = stack.enter_context(throwaway_postgres())
        admin = Database(url)
        stack.callback(admin.dispose)
        Base.metadata.drop_all(admin.engine)
        Base.metadata.create_all(admin.engine)
        endpoint = stack.enter_context(serve_sms_endpoint())

        load_before = os.getloadavg()
        postmaster = postmaster_pid(admin)
        raw_before = {clients: raw_rate(endpoint, n, clients) for clients in (1, 2)}
        runs: dict[int, Run] = {}
        duplicates = 0
        for count in (1, 2, 4):
            populate(admin, n)
            before = len(endpoint.accepted)
            runs[count] = run_dispatchers(url, endpoint, count, postmaster)
            sent = len(endpoint.accepted) - before
            references = endpoint.accepted_references()[before:]
            duplicates += len(references) - len(set(references))
            assert sent == n, f"{sent} of {n} messages arrived"
        raw_after = {clients: raw_rate(endpoint, n, clients) for clients in (1, 2)}

    load = os.getloadavg()
    raw = {c: (raw_before[c] + raw_after[c]) / 2 for c in raw_before}
    print(
        f"messages: {n:,} per run, PostgreSQL, loopback SMS endpoint; load average before "
        f"{load_before[0]:.2f}, after {load[0]:.2f}"
    )
    for clients, rate in raw.items():
        print(
            f"baseline, raw endpoint rate, {clients} sequential client(s):"
            f" {rate:8.0f} msg/s (before {raw_before[clients]:.0f}, after {raw_after[clients]:.0f})"
        )
    for count, run in runs.items():
        fair = raw[min(count, 2)]
        print(
            f"{count} dispatcher(s): {n / run.seconds:8.0f} msg/s ({run.seconds:.2f} s,"
            f" {n / run.seconds / fair:.0%} of the raw rate with {min(count, 2)} client(s));"
            f" CPU per message: dispatchers {run.dispatcher_cpu / n * 1000:.2f} ms,"
            f" PostgreSQL {run.database_cpu / n * 1000:.2f} ms,"
            f" endpoint {run.endpoint_cpu / n * 1000:.2f} ms;"
            f" claims lost {run.lost_claims}; peak RSS of a dispatcher {run.peak_rss_mib:.0f} MiB"
        )
    print(f"duplicates at the endpoint: {duplicates}")


if __name__ == "__main__":
    main()
