"""The demo's synthetic service history (fit_platform/services/demo_history.py) for the tests
that read it, seeded for real once per test process and backend and then copied by the
database server into each test's empty database.

Seeding writes some 31 000 rows through SQLAlchemy: about a second per test, two on a busy
machine, and some 35 tests of a run start from it. The server copies the same rows in a few
tens of milliseconds. The rows are the seeding's own: the first test of a process seeds
for real and keeps what it wrote (SQLite: a copy of the file; PostgreSQL: a schema of copies of
the tables), so a change to the seeding reaches every test. The seeding itself is tested by
calling it (tests/services/test_demo_history.py), as the demo does.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy import func, select, text

from fit_platform.db import Base, Database
from fit_platform.services.demo_history import seed_demo_service_history

# What the seeding writes, parents first (the copy goes in this order, so every foreign key
# finds its row).
TABLES = ("unit", "programme", "patient", "episode", "invitation", "response", "signal")
# Where a copy is kept, by backend and the `now` it was seeded at: a SQLite file, or a
# PostgreSQL schema in the server's test database.
_kept: dict[tuple[str, str, dt.datetime], str] = {}


def seed_service_history(db: Database, now: dt.datetime) -> None:
    """The database as `seed_demo_service_history(db, now)` leaves an empty one."""
    assert _empty(db), "the service history is copied into an empty database only"
    kept = _kept.get(_key(db, now))
    if kept is None:
        seed_demo_service_history(db, now)
        keep_service_history(db, now)
    elif db.dialect == "sqlite":
        _copy_sqlite(db, kept)
    else:
        _copy_postgres(db, kept)


def keep_service_history(db: Database, now: dt.datetime) -> None:
    """Keep the rows `seed_demo_service_history(db, now)` has just written to an empty `db`
    as the copy for the process's later tests, unless one is kept already."""
    key = _key(db, now)
    if key not in _kept:
        _kept[key] = _keep_sqlite(db) if db.dialect == "sqlite" else _keep_postgres(db)


def _key(db: Database, now: dt.datetime) -> tuple[str, str, dt.datetime]:
    return (db.dialect, "" if db.dialect == "sqlite" else db.url, now)


def _empty(db: Database) -> bool:
    with db.reading() as connection:
        return all(
            connection.scalar(select(func.count()).select_from(Base.metadata.tables[name])) == 0
            for name in TABLES
        )


def _columns(name: str) -> str:
    return ", ".join(f'"{column.name}"' for column in Base.metadata.tables[name].columns)


def _sqlite_path(db: Database) -> str:
    path = db.engine.url.database
    assert path, "a SQLite file, not an in-memory database"
    return path


def _keep_sqlite(db: Database) -> str:
    folder = Path(tempfile.mkdtemp(prefix="fit-service-history-"))
    kept = str(folder / "history.sqlite3")
    with closing(sqlite3.connect(_sqlite_path(db))) as connection:
        connection.execute("VACUUM INTO ?", (kept,))
    return kept


def _copy_sqlite(db: Database, kept: str) -> None:
    # Straight through the driver: SQLite attaches a file only outside a transaction.
    with closing(sqlite3.connect(_sqlite_path(db), isolation_level=None)) as connection:
        connection.execute("ATTACH DATABASE ? AS kept", (kept,))
        connection.execute("BEGIN")
        for name in TABLES:
            columns = _columns(name)
            connection.execute(
                f'INSERT INTO main."{name}" ({columns}) SELECT {columns} FROM kept."{name}"'
            )
        connection.execute("COMMIT")
        connection.execute("DETACH DATABASE kept")


def _keep_postgres(db: Database) -> str:
    # One schema per test process: the two workers of a run may share a server.
    schema = f"service_history_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with db.engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        for name in TABLES:
            connection.execute(text(f'CREATE TABLE "{schema}"."{name}" AS TABLE public."{name}"'))
    return schema


def _copy_postgres(db: Database, schema: str) -> None:
    with db.engine.begin() as connection:
        for name in TABLES:
            columns = _columns(name)
            connection.execute(
                text(
                    f'INSERT INTO public."{name}" ({columns}) SELECT {columns}'
                    f' FROM "{schema}"."{name}"'
                )
            )
            # The ids came with the rows: the table's next id follows them, as after the
            # seeding.
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('public.\"{name}\"', 'id'),"
                    f' (SELECT max(id) FROM public."{name}"))'
                )
            )
