"""Pre-session view latency on PostgreSQL, next to a trivial authenticated page in the same run.

Run from the project root:
``python benchmarks/bench_presession.py [--requests N] [--profile TOP] [--parts]``.
Starts a throwaway PostgreSQL server (as the tests do) unless FIT_TEST_DATABASE_URL is set,
builds one patient with two years of weekly PHQ-9, GAD-7 and SAI answers (item answers
included), open signals, goals and decisions, logs a therapist in through the real login form,
then times N requests of the pre-session view and N of the account page (same session loading,
same layout, no patient data) and prints p50/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient
from sqlalchemy import text

from fit_platform.app import create_app
from fit_platform.db import Base, models  # noqa: F401 - registers the tables
from fit_platform.db.session import make_engine
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_goal, add_signal, add_topic
from tests.support.factories import PASSWORD, add_appointment, add_history, make_world
from tests.support.html import log_in
from tests.support.postgres import throwaway_postgres

WEEKS = 104


def seed_patient_with_history(db: Any, weeks: int = WEEKS) -> Any:
    """One patient with two years (``weeks``) of weekly PHQ-9, GAD-7 and SAI answers (item
    answers included), three open signals, a goal, a topic and tomorrow's appointment; returns
    the world (its therapist's username, the episode id)."""
    world = make_world(db)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(weeks=weeks)
    phq = [max(0, 22 - i // 6 + (i % 5) - 2) for i in range(weeks)]
    gad = [max(0, 17 - i // 8 + (i % 3) - 1) for i in range(weeks)]
    sai = [min(30, 24 + (i % 7) // 2) for i in range(weeks)]
    add_history(db, world, phq, "phq9", start=start)
    add_history(db, world, gad, "gad7", start=start)
    add_history(db, world, sai, "sai", start=start + dt.timedelta(days=2))
    for code in (SignalCode.RISK_ANSWER, SignalCode.NOT_ON_TRACK, SignalCode.ALLIANCE_DROP):
        add_signal(db, world, code)
    add_goal(db, world, "Sleep through the night")
    add_topic(db, world, "Work")
    add_appointment(db, world, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    return world


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _print_parts(client: FlaskClient, path: str, requests: int) -> None:
    """CPU per view of each part, from a timer around the functions the view calls (a
    profiler inflates the many small calls inside them). The parts overlap: the own plan is
    read inside the view's service, the charts are drawn inside the template."""
    from fit_platform.services import own_plan, presession
    from fit_platform.web.clinician import blueprint, score_chart

    spent: dict[str, float] = {}
    parts = [
        (blueprint, "presession", "the view's service"),
        (presession.own_plan, "read_plan", "  of which the own plan"),
        (blueprint, "render_template", "the template"),
        (score_chart, "chart", "  of which the charts"),
    ]
    assert presession.own_plan is own_plan
    originals = [(module, name, getattr(module, name)) for module, name, _label in parts]

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - began

        return call

    for (module, name, label), (_module, _name, original) in zip(parts, originals, strict=True):
        setattr(module, name, timed(label, original))
    try:
        began = time.process_time()
        for _ in range(requests):
            client.get(path)
        total = time.process_time() - began
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    whole = total / requests * 1000
    print(f"  CPU per view by part (mean of {requests}): whole request {whole:.2f} ms")
    for _module, _name, label in parts:
        print(f"    {label:<28} {spent.get(label, 0.0) / requests * 1000:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--weeks",
        type=int,
        default=WEEKS,
        help="weeks of history of the benchmark's patient (default two years): a short history "
        "shows how much of the view's cost is fixed and how much grows with the history",
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="TOP",
        default=0,
        help="afterwards, profile the pre-session view's requests (CPU time) and print TOP rows",
    )
    parser.add_argument(
        "--parts",
        action="store_true",
        help="afterwards, time the view's parts (CPU per view, unprofiled): its service, the "
        "own-plan service, the template and the charts within it",
    )
    args = parser.parse_args()

    with throwaway_postgres() as url:
        engine = make_engine(url)
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.create_all(engine)
        engine.dispose()
        app = create_app(
            overrides={
                "environment": "test",
                "database_url": url,
                "secret_key": "bench-secret-key",
                "public_base_url": "http://localhost",
                "log_level": "WARNING",
                "instance_path": Path("instance-bench"),
            }
        )
        db = app.extensions["fit_db"]
        world = seed_patient_with_history(db, args.weeks)

        client = app.test_client()
        log_in(client, world.therapist_username, PASSWORD)
        view = f"pre-session view ({3 * args.weeks} responses)"
        pages = {
            view: f"/clinician/episodes/{world.episode_id}",
            "baseline: account page": "/staff/account",
        }
        for path in pages.values():  # warm-up: templates compiled, pool filled
            for _ in range(5):
                assert client.get(path).status_code == 200
        timings: dict[str, list[float]] = {name: [] for name in pages}
        cpu: dict[str, list[float]] = {name: [] for name in pages}
        load_before = os.getloadavg()
        # Interleaved so both pages see the same machine load.
        for _ in range(args.requests):
            for name, path in pages.items():
                began, began_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                timings[name].append((time.perf_counter() - began) * 1000)
                cpu[name].append((time.process_time() - began_cpu) * 1000)
                assert response.status_code == 200
        load_after = os.getloadavg()
        print(
            f"PostgreSQL, {args.requests} requests each, Flask test client (no network); "
            f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
        )
        # On a loaded machine wall time is mostly waiting for a CPU; the app's own CPU time
        # per request (this process, the database server not included) moves much less.
        for name, samples in timings.items():
            p50, p95 = _percentiles(samples)
            cpu50, cpu95 = _percentiles(cpu[name])
            print(
                f"  {name:<36} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   "
                f"app CPU p50 {cpu50:6.1f} ms   p95 {cpu95:6.1f} ms"
            )
        if args.parts:
            _print_parts(client, next(iter(pages.values())), args.requests)
        if args.profile:
            # CPU time, not wall time: on a shared machine wall time charges other
            # processes' turns to whatever function happened to be running.
            profiler = cProfile.Profile(time.process_time)
            path = next(iter(pages.values()))
            profiler.enable()
            for _ in range(args.requests):
                client.get(path)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.profile)
            stats.sort_stats("tottime").print_stats(args.profile)
        db.dispose()


if __name__ == "__main__":
    main()
