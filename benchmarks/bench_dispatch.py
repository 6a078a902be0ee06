"""Dispatch throughput to the loopback SMS endpoint, with a same-run baseline.

Run from the project root: ``python benchmarks/bench_dispatch.py [--messages N]``.
Uses FIT_BENCH_DATABASE_URL (emptied!) or starts a throwaway PostgreSQL server.

Queues N invitation messages (through the real enqueue), then measures:

- one dispatcher process draining the outbox (claim, consent re-check, token, render,
  HTTP send, record: three transactions per message), then two and four side by side;
- the baseline: the endpoint's raw request rate, the same N JSON POSTs from one
  `httpx.Client` with nothing else around them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import text

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
                "TRUNCATE unit, patient, episode, schedule_plan, schedule_rule, appointment,"
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
            "INSERT INTO schedule_plan (id, name, episode_id, quiet_from, quiet_until, created_at)"
            " SELECT g, 'plan', g, '21:00', '08:00', now() FROM generate_series(1, :n) g",
            "INSERT INTO schedule_rule (plan_id, instrument_id, trigger, offset_hours,"
            " window_hours, min_interval_hours, active) SELECT g, 'srs', 'after_appointment', 1,"
            " 48, 0, true FROM generate_series(1, :n) g",
            "INSERT INTO appointment (episode_id, starts_at, status, updated_at)"
            " SELECT g, :now - interval '2 hours', 'planned', now() FROM generate_series(1, :n) g",
        ):
            connection.execute(text(statement), {"n": n, "now": NOW})
        for table in ("unit", "patient", "episode", "schedule_plan"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
    enqueue_due(db, NOW)


def _drain(url: str, base_url: str, token: str, ready: Any, go: Any, cpu: Any) -> None:
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
    dispatcher.drain(max_rounds=10**6)
    cpu.value = time.process_time() - started
    dispatcher.close()
    db.dispose()


def run_dispatchers(url: str, endpoint: SmsEndpoint, count: int) -> tuple[float, float]:
    """`count` dispatcher processes (as deployed: separate processes, one database).

    Returns the wall time and the CPU seconds the dispatchers used while draining (the
    steadier figure when other work loads the machine)."""
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    readies = [context.Event() for _ in range(count)]
    cpus = [context.Value("d", 0.0) for _ in range(count)]
    processes = [
        context.Process(
            target=_drain, args=(url, endpoint.base_url, endpoint.token, ready, go, cpu)
        )
        for ready, cpu in zip(readies, cpus, strict=True)
    ]
    for process in processes:
        process.start()
    for ready in readies:
        ready.wait()
    started = time.perf_counter()
    go.set()
    for process in processes:
        process.join()
    return time.perf_counter() - started, sum(cpu.value for cpu in cpus)


def raw_rate(endpoint: SmsEndpoint, n: int) -> float:
    with httpx.Client(
        base_url=endpoint.base_url, headers={"Authorization": f"Bearer {endpoint.token}"}
    ) as client:
        started = time.perf_counter()
        for i in range(n):
            client.post(
                "/messages",
                json={
                    "to": "+4791234567",
                    "text": "Nordre DPS har sendt deg noen korte spørsmål.",
                    "reference": f"raw:{i}",
                },
            ).raise_for_status()
        return time.perf_counter() - started


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
        baseline = raw_rate(endpoint, n)
        results = {}
        cpu_per_message: dict[int, float] = {}
        duplicates = 0
        for count in (1, 2, 4):
            populate(admin, n)
            before = len(endpoint.accepted)
            seconds, cpu = run_dispatchers(url, endpoint, count)
            sent = len(endpoint.accepted) - before
            references = endpoint.accepted_references()[before:]
            duplicates += len(references) - len(set(references))
            assert sent == n, f"{sent} of {n} messages arrived"
            results[count] = seconds
            cpu_per_message[count] = cpu / n * 1000

    load = os.getloadavg()
    print(
        f"messages: {n:,} per run, PostgreSQL, loopback SMS endpoint; load average before "
        f"{load_before[0]:.2f}, after {load[0]:.2f}"
    )
    print(f"baseline, raw endpoint rate (one client, sequential): {n / baseline:8.0f} msg/s")
    for count, seconds in results.items():
        print(
            f"{count} dispatcher(s):                                  {n / seconds:8.0f} msg/s"
            f"  ({seconds:.2f} s, {n / seconds / (n / baseline):.0%} of baseline,"
            f" dispatcher CPU {cpu_per_message[count]:.2f} ms/message)"
        )
    print(f"duplicates at the endpoint: {duplicates}")


if __name__ == "__main__":
    main()
