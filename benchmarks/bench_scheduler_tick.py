"""One scheduler tick over many active episodes on PostgreSQL, with a same-run baseline.

Run from the project root: ``python benchmarks/bench_scheduler_tick.py [--episodes N]``.
Uses FIT_BENCH_DATABASE_URL (emptied!) or starts a throwaway PostgreSQL server.

Every episode has its own plan with three rules (outcome measure 24 h before each
appointment, alliance measure after it, a weekly measure on tomorrow's weekday) and one
appointment; 10 % of the appointments ended an hour ago, so their alliance measure is due
now. Measured:

- the first tick (creates the due invitations and their outbox messages): wall time,
  Python heap peak (tracemalloc, in a second identical run) and process peak RSS;
- a second tick at the same moment (creates nothing: the idempotent steady state);
- the baseline: a plain INSERT of exactly the same invitation and outbox rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
import tracemalloc
from contextlib import ExitStack
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, select, text

from fit_platform.config import default_zone
from fit_platform.db import Base, Database, models  # noqa: F401 - registers the tables
from fit_platform.db.models import Invitation, OutboxMessage
from fit_platform.services.invitations import enqueue_due

OSLO = ZoneInfo("Europe/Oslo")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=OSLO).astimezone(dt.UTC)


def populate(db: Database, episodes: int) -> None:
    tomorrow_iso = str((NOW.astimezone(OSLO).date() + dt.timedelta(days=1)).isoweekday())
    statements = [
        "INSERT INTO unit (id, code, name, kind, created_at) VALUES (1, 'u1', 'Nordre DPS', "
        "'outpatient', now())",
        "INSERT INTO patient (id, display_name, phone_e164, preferred_language,"
        " preferred_channel, consent_state, created_at) SELECT g, 'p' || g, '+4791234567', 'nb',"
        " 'sms', 'active', now() FROM generate_series(1, :n) g",
        "INSERT INTO episode (id, patient_id, unit_id, status, started_on, created_at)"
        " SELECT g, g, 1, 'active', DATE '2026-01-01', now() FROM generate_series(1, :n) g",
        # One therapist responsible for every episode: the scheduler asks nothing of a patient
        # whose answers nobody would see (services/unattended.py).
        "INSERT INTO staff (id, username, display_name, password_hash, preferred_language,"
        " is_active, failed_logins, created_at) VALUES (1, 't1@bench', 'T1', 'x', 'nb', true,"
        " 0, now())",
        # ... who holds the therapist role in the episodes' unit (a link alone is not enough).
        "INSERT INTO staff_role (staff_id, role, unit_id) VALUES (1, 'therapist', 1)",
        "INSERT INTO episode_therapist (episode_id, staff_id, responsible)"
        " SELECT g, 1, true FROM generate_series(1, :n) g",
        "INSERT INTO schedule_plan (id, name, episode_id, quiet_from, quiet_until, created_at)"
        " SELECT g, 'plan', g, '21:00', '08:00', now() FROM generate_series(1, :n) g",
        "INSERT INTO schedule_rule (plan_id, instrument_id, trigger, offset_hours, window_hours,"
        " reminder_after_hours, min_interval_hours, active)"
        " SELECT g, 'ors', 'before_appointment', 24, 24, NULL, 0, true"
        " FROM generate_series(1, :n) g"
        " UNION ALL SELECT g, 'srs', 'after_appointment', 1, 48, 24, 0, true"
        " FROM generate_series(1, :n) g",
        "INSERT INTO schedule_rule (plan_id, instrument_id, trigger, offset_hours, weekdays,"
        " send_time, window_hours, min_interval_hours, active)"
        f" SELECT g, 'core10', 'weekly', 0, '{tomorrow_iso}', '10:00', 24, 0, true"
        " FROM generate_series(1, :n) g",
        # 10 %: a session that started two hours ago; the rest: next week.
        "INSERT INTO appointment (episode_id, starts_at, status, updated_at)"
        " SELECT g, CASE WHEN g % 10 = 0 THEN :now - interval '2 hours'"
        " ELSE :now + interval '7 days' + (g % 100) * interval '1 hour' END, 'planned', now()"
        " FROM generate_series(1, :n) g",
    ]
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"n": episodes, "now": NOW})
        for table in (
            "unit",
            "staff",
            "patient",
            "episode",
            "schedule_plan",
            "schedule_rule",
            "appointment",
        ):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
        connection.execute(text("ANALYZE"))


def created_rows(db: Database) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    with db.session() as s:
        invitations = [
            {c.name: getattr(row, c.key) for c in Invitation.__table__.columns}
            for row in s.scalars(select(Invitation))
        ]
        messages = [
            {c.name: getattr(row, c.key) for c in OutboxMessage.__table__.columns}
            for row in s.scalars(select(OutboxMessage))
        ]
    return invitations, messages


def clear_created(db: Database) -> None:
    with db.transaction() as s:
        s.execute(delete(OutboxMessage))
        s.execute(delete(Invitation))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=300_000)
    args = parser.parse_args()

    with ExitStack() as stack:
        url = os.environ.get("FIT_BENCH_DATABASE_URL")
        if url is None:
            from tests.support.postgres import throwaway_postgres

            url = stack.enter_context(throwaway_postgres())
        db = Database(url)
        stack.callback(db.dispose)
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)

        started = time.perf_counter()
        populate(db, args.episodes)
        print(f"setup: {args.episodes:,} active episodes in {time.perf_counter() - started:.1f} s")

        rss_before = peak_rss_mb()
        started = time.perf_counter()
        first = enqueue_due(db, NOW, zone=default_zone())
        tick_seconds = time.perf_counter() - started
        rss_after = peak_rss_mb()
        started = time.perf_counter()
        second = enqueue_due(db, NOW, zone=default_zone())
        steady_seconds = time.perf_counter() - started

        invitation_rows, message_rows = created_rows(db)
        clear_created(db)
        tracemalloc.start()
        enqueue_due(db, NOW, zone=default_zone())
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        clear_created(db)
        with db.engine.begin() as connection:  # warm the same pages the tick touched
            connection.execute(text("ANALYZE invitation; ANALYZE outbox_message"))
        started = time.perf_counter()
        with db.transaction() as s:
            s.execute(insert(Invitation), invitation_rows)
            s.execute(insert(OutboxMessage), message_rows)
        baseline_seconds = time.perf_counter() - started

    due = first.invitations
    print(
        f"due now: {due:,} invitations ({due / args.episodes:.0%} of episodes),"
        f" {first.messages:,} outbox rows"
    )
    print(f"first tick (candidates {first.candidates:,}):   {tick_seconds:7.2f} s")
    print(f"second tick (nothing new: {second.invitations}):  {steady_seconds:7.2f} s")
    print(f"baseline, plain INSERT of the same rows: {baseline_seconds:7.2f} s")
    print(f"tick / baseline: {tick_seconds / baseline_seconds:.1f}x")
    print(f"python heap peak during a tick (tracemalloc): {heap_peak / 2**20:7.1f} MiB")
    print(f"process peak RSS: {rss_before:.0f} MiB before the tick, {rss_after:.0f} MiB after")


if __name__ == "__main__":
    main()
