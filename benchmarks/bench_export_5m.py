"""The service-developer aggregate export over 5 million responses on PostgreSQL.

Run from the project root (one benchmark at a time on a shared machine):
``flock /tmp/fit-bench.lock .venv/bin/python benchmarks/bench_export_5m.py [--responses N]``
(any lock file will do; ``--reuse`` keeps the data generated before in a private cluster in
``--data-dir``, started and stopped by the benchmark, never one the tests use).
Starts a throwaway PostgreSQL server (as the tests do) unless ``--reuse`` or
FIT_TEST_DATABASE_URL is set, creates the tables, and generates the data set inside the
database with ``generate_series`` (no rows pass through Python):

- 4 units with 2 programmes each; one patient and one episode per 78 responses (about 64 000
  episodes for 5 million), each episode 26 weeks long, starting on a day spread over two years;
- every week of an episode a PHQ-9, a GAD-7 and an alliance (SAI) response (so 78 per
  episode), scorable, with totals spread over each scale; one invitation per response, 85 %
  completed and the rest expired with a non-response reason; a risk signal on 1 % of the
  PHQ-9 answers.

Then it times, in the same run, ``SELECT count(*) FROM response`` (the baseline: one pass over
the same table) and the export itself, ``service_aggregates`` by quarter over the two years for
all units (best of three runs each), and prints the seconds, the CPU time it took (this
process, and the PostgreSQL server's processes, parallel workers included) and the peak memory
of the export (Python heap peak from tracemalloc in a separate run, and the process's peak
RSS). On a shared machine the wall time is mostly waiting for a CPU; the CPU seconds say what
the export itself costs. Goal: the export in under 10 s.

``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement the export sends, with
the export's own planner settings, instead of timing it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, delete, event, func, select, text

from benchmarks.bench_dispatch import database_cpu_seconds, postmaster_pid
from fit_platform.db import Base, Database, models  # noqa: F401 - registers the tables
from fit_platform.db.base import utcnow
from fit_platform.db.models import (
    ExportSummaryState,
    InvitationMonth,
    ResponseMonth,
    ResponseSpan,
)
from fit_platform.db.session import make_engine
from fit_platform.services.export import refresh_export_summary, service_aggregates
from tests.support.postgres import kept_postgres, throwaway_postgres

PER_EPISODE = 78  # 26 weeks x (PHQ-9, GAD-7, SAI)
START = dt.date(2024, 10, 1)
END = dt.date(2026, 9, 30)

GENERATE = [
    """INSERT INTO unit (id, code, name, kind, quiet_from, quiet_until, created_at)
       SELECT u, 'bench-' || u, 'Benchmark unit ' || u, 'outpatient', '21:00', '08:00', now()
       FROM generate_series(1, 4) AS u""",
    """INSERT INTO programme (id, unit_id, code, name)
       SELECT p, (p + 1) / 2, 'p' || p, 'Programme ' || p FROM generate_series(1, 8) AS p""",
    """INSERT INTO patient (id, display_name, preferred_language, preferred_channel,
                            consent_state, created_at)
       SELECT e, 'Benchmark patient ' || e, 'nb', 'sms', 'active', now()
       FROM generate_series(1, :episodes) AS e""",
    # Episode e starts on a day spread over the first 18 months, so it ends within the range.
    """INSERT INTO episode (id, patient_id, unit_id, programme_id, status, started_on, created_at)
       SELECT e, e, ((e % 8) + 2) / 2, (e % 8) + 1, 'ended',
              DATE '2024-10-01' + ((e * 7919) % 540), now()
       FROM generate_series(1, :episodes) AS e""",
    """INSERT INTO response (episode_id, instrument_id, instrument_version, language, status,
                             started_at, submitted_at, scoring_version, scorable, total, risk,
                             comment_visibility)
       SELECT r.episode, r.instrument, '1.0.0', 'nb', 'submitted', r.at, r.at, '1.0.0', true,
              CASE r.instrument
                WHEN 'phq9' THEN greatest(0, 18 - r.week / 3 - (r.i * 31 % 7))
                WHEN 'gad7' THEN greatest(0, 14 - r.week / 4 - (r.i * 17 % 5))
                ELSE 18 + (r.i * 13 % 12) END,
              r.instrument = 'phq9' AND r.i % 100 = 0,
              'therapist'
       FROM (
         SELECT i, i / 78 + 1 AS episode, (i % 78) / 3 AS week,
                (ARRAY['phq9', 'gad7', 'sai'])[i % 3 + 1] AS instrument,
                (TIMESTAMPTZ '2024-10-01 08:00+00' + ((i / 78 + 1) * 7919 % 540) * INTERVAL '1 day'
                 + ((i % 78) / 3) * INTERVAL '7 days' + (i % 3) * INTERVAL '1 hour') AS at
         FROM generate_series(0, :responses - 1) AS i
       ) AS r""",
    """INSERT INTO invitation (episode_id, instrument_id, slot_key, state, due_at, expires_at,
                               sent_at, completed_at, non_response_reason, created_at)
       SELECT episode_id, instrument_id, 'r' || id,
              CASE WHEN id % 100 < 85 THEN 'completed' ELSE 'expired' END,
              submitted_at - INTERVAL '2 hours', submitted_at + INTERVAL '46 hours',
              submitted_at - INTERVAL '2 hours',
              CASE WHEN id % 100 < 85 THEN submitted_at END,
              CASE WHEN id % 100 < 85 THEN NULL ELSE 'not_opened' END,
              submitted_at - INTERVAL '2 hours'
       FROM response""",
    """INSERT INTO signal (episode_id, response_id, code, severity, source_key, raised_at,
                           acknowledged_at, resolved_at)
       SELECT episode_id, id, 'risk_answer', 'high', 'r' || id, submitted_at,
              submitted_at + (id % 48) * INTERVAL '1 hour',
              submitted_at + (id % 10 + 1) * INTERVAL '1 day'
       FROM response WHERE risk""",
    "SELECT setval(pg_get_serial_sequence('unit', 'id'), 4)",
    "SELECT setval(pg_get_serial_sequence('programme', 'id'), 8)",
]


def _best_of(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def _has_responses(engine: Engine, responses: int) -> bool:
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT to_regclass('response') IS NOT NULL"))
        return (
            bool(exists) and connection.scalar(text("SELECT count(*) FROM response")) == responses
        )


def _cpu_best_of(
    runs: int, action: Callable[[], object], postmaster: int | None
) -> tuple[float, float, float | None]:
    """Best wall time, best CPU time of this process (the Python side, every thread) and best
    CPU time of the PostgreSQL server (None when it is not on this machine) over the runs."""
    best_wall = best_cpu = best_server = float("inf")
    for _ in range(runs):
        server = database_cpu_seconds(postmaster) if postmaster else 0.0
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        server = database_cpu_seconds(postmaster) - server if postmaster else float("nan")
        print(f"  run: {wall:.2f} s wall, Python CPU {cpu:.2f} s, PostgreSQL CPU {server:.2f} s")
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        if postmaster:
            best_server = min(best_server, server)
    return best_wall, best_cpu, best_server if postmaster else None


def _local_postmaster(db: Database) -> int | None:
    try:
        return postmaster_pid(db)
    except OSError:  # the server runs elsewhere: its CPU cannot be read here
        return None


def _explain(db: Database, export: Callable[[], object]) -> None:
    """Run the export once to catch its statements, then EXPLAIN ANALYZE each in one
    transaction with the settings the export set (the first statement on PostgreSQL)."""
    caught: list[tuple[str, object]] = []

    def catch(
        _conn: object, _cursor: object, statement: str, parameters: object, *_: object
    ) -> None:
        caught.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        export()
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        for statement, parameters in caught:
            if "set_config" in statement:
                cursor.execute(statement, parameters)
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE) " + statement, parameters)
            print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")
        connection.rollback()
    finally:
        connection.close()


def _existing_server() -> AbstractContextManager[str]:
    return nullcontext(os.environ["FIT_TEST_DATABASE_URL"])


@contextmanager
def _kept_server(data_dir: Path) -> Iterator[str]:
    with kept_postgres(data_dir) as cluster:
        yield cluster.url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data when it already has this many responses (generating 5 million "
        "takes 10-16 minutes on a shared machine): in a private cluster kept in --data-dir, "
        "or with FIT_TEST_DATABASE_URL in that database",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "fit-bench-export-5m",
        help="where --reuse keeps its private PostgreSQL cluster between runs",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN (ANALYZE, BUFFERS) of each statement of the export, no timing",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="after timing, export once more with the summary emptied (every row read "
        "live), compare the rows, and build the summary again",
    )
    args = parser.parse_args()
    episodes = -(-args.responses // PER_EPISODE)
    server: AbstractContextManager[str]
    if "FIT_TEST_DATABASE_URL" in os.environ:
        server = _existing_server()
    elif args.reuse:
        server = _kept_server(args.data_dir)
    else:
        server = throwaway_postgres()
    with server as url:
        engine = make_engine(url)
        started = time.perf_counter()
        reused = args.reuse and _has_responses(engine, args.responses)
        if reused:
            # Tables added since the data was generated (the export's summary), then the
            # models' indexes (the export's among them) on the data already there.
            Base.metadata.create_all(engine)
            for table in Base.metadata.sorted_tables:
                for index in table.indexes:
                    index.create(engine, checkfirst=True)
        else:
            Base.metadata.drop_all(engine)
            Base.metadata.create_all(engine)
            with engine.begin() as connection:
                for statement in GENERATE:
                    connection.execute(
                        text(statement), {"episodes": episodes, "responses": args.responses}
                    )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            counts = {
                table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("response", "invitation", "episode", "signal")
            }
        generated = time.perf_counter() - started
        engine.dispose()

        db = Database(url)

        def count_all() -> object:
            with db.session() as session:
                return session.scalar(text("SELECT count(*) FROM response"))

        def export() -> object:
            return service_aggregates(db, period="quarter", start=START, end=END)

        postmaster = _local_postmaster(db)
        # The summary of closed months, built from nothing (as on the first run of the
        # scheduler's job after the upgrade) and timed on its own.
        with db.transaction() as session:
            session.execute(delete(ExportSummaryState))
        build_wall, build_cpu, build_server = _cpu_best_of(
            1, lambda: refresh_export_summary(db, utcnow()), postmaster
        )
        with db.session() as session:
            summary_rows = {
                model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (InvitationMonth, ResponseMonth, ResponseSpan)
            }
        if args.explain:
            _explain(db, export)
            db.dispose()
            return
        count_all()  # warm the cache and the connection pool for both
        load_before = os.getloadavg()[0]
        baseline = _best_of(args.runs, count_all)
        seconds, python_cpu, server_cpu = _cpu_best_of(args.runs, export, postmaster)
        load = os.getloadavg()[0]
        rows = len(service_aggregates(db, period="quarter", start=START, end=END))
        tracemalloc.start()
        summarised = export()
        _current, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.check:
            # The same export with no summary (every row read live), then the summary again.
            with db.transaction() as session:
                session.execute(delete(ExportSummaryState))
                session.execute(delete(InvitationMonth))
                session.execute(delete(ResponseMonth))
                session.execute(delete(ResponseSpan))
            live_wall, live_cpu, live_server = _cpu_best_of(1, export, postmaster)
            identical = export() == summarised
            refresh_export_summary(db, utcnow())
        db.dispose()

    how = "kept from an earlier run, indexed and analysed" if reused else "generated"
    print(f"data: {counts} {how} in {generated:.1f} s")
    print(
        f"summary of closed months built from nothing: {build_wall:.2f} s wall, Python CPU "
        f"{build_cpu:.2f} s, PostgreSQL CPU {build_server or float('nan'):.2f} s; {summary_rows}"
    )
    print(f"baseline SELECT count(*) FROM response: {baseline:.2f} s (best of {args.runs})")
    print(
        f"aggregate export, quarters {START}..{END}, all units: {seconds:.2f} s "
        f"(best of {args.runs}), {rows} rows, {seconds / baseline:.1f}x the baseline"
    )
    print(
        f"export peak Python heap (tracemalloc): {heap_peak / 2**20:.0f} MiB; "
        f"process peak RSS: {rss_peak_mib:.0f} MiB"
    )
    print(f"export CPU in this process (Python): {python_cpu:.2f} s (best of {args.runs})")
    if server_cpu is not None:
        print(
            f"export CPU in the PostgreSQL server (every process, parallel workers included): "
            f"{server_cpu:.2f} s (best of {args.runs})"
        )
    print(
        f"load average (1 min) before / after the runs: {load_before:.1f} / {load:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    if args.check:
        print(
            f"the same export without the summary (every row live): {live_wall:.2f} s wall, "
            f"Python CPU {live_cpu:.2f} s, PostgreSQL CPU {live_server or float('nan'):.2f} s; "
            f"rows identical to the export with the summary: {identical}"
        )
    print(f"goal < 10 s: {'met' if seconds < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
