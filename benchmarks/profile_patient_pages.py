"""Where the time of a patient page goes: cProfile over N requests through the Flask test client.

Run from the project root:
``python benchmarks/profile_patient_pages.py [--page landing|answer|save] [--requests N]``
(``--top N`` rows of each table, ``--top 0`` for the CPU figure only).

Uses a throwaway PostgreSQL (or FIT_TEST_DATABASE_URL, emptied), the production app settings
(log level INFO, rate limits off as in the load benchmark), opens one link and then profiles N
requests of the chosen page, printing the functions with the most cumulative and own time and
the number of SQL statements per request. The WSGI server is left out: this shows the app's
own cost.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_patient_pages import (  # noqa: E402
    CSRF,
    production_app_in_process,
    setup_invitations,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", choices=("landing", "answer", "save"), default="landing")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()

    from tests.support.postgres import throwaway_postgres
    from tests.support.queries import count_statements

    with throwaway_postgres() as url:
        tokens = setup_invitations(url, 1)
        app = production_app_in_process(url)
        client = app.test_client()
        token = tokens[0]
        match = CSRF.search(client.get(f"/p/{token}").get_data(as_text=True))
        assert match
        csrf = match.group(1) or match.group(2)
        assert client.post(f"/p/{token}", data={"csrf_token": csrf}).status_code == 302

        def one(i: int) -> None:
            if args.page == "landing":
                assert client.get(f"/p/{token}").status_code == 200
            elif args.page == "answer":
                assert client.get("/p/answer/1").status_code == 200
            else:
                data = {"csrf_token": csrf, **{f"phq9_{n}": str(i % 4) for n in range(1, 6)}}
                assert client.post("/p/answer/1", data=data).status_code == 302

        for i in range(20):
            one(i)
        db = app.extensions["fit_db"]
        with count_statements(db.engine) as counter:
            one(0)
        # The same requests without the profiler first: cProfile inflates many small calls,
        # so this is the figure to compare between two versions of the code.
        started = time.process_time()
        for i in range(args.requests):
            one(i)
        plain_ms = (time.process_time() - started) / args.requests * 1000
        # CPU time, not wall time: on a shared machine, wall time charges other processes'
        # turns and the database's work to whatever function was running at the moment.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for i in range(args.requests):
            one(i)
        profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"{args.page}: {args.requests} requests, {plain_ms:.2f} ms of CPU each in this process "
        f"(test client, no profiler), {total / args.requests * 1000:.2f} ms under the profiler, "
        f"{counter.count} SQL statements per request"
    )
    for statement in counter.statements:
        print("   ", " ".join(statement.split())[:150])
    if args.top:
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
