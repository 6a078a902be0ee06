"""Emptying the PostgreSQL test database after each test, as if it were new.

Every PostgreSQL test starts from empty tables whose ids start at 1. `TRUNCATE … RESTART
IDENTITY` of the 44 tables did that, but truncating a table makes new files for it and its
indexes and drops the old ones: about 0.1 to 0.3 s per test here, for tables that held a
handful of rows, paid by some 800 tests of every run. Deleting the rows costs a few
milliseconds. Three things make the two the same for a test:

- the append-only tables refuse DELETE by trigger (`fit_platform/db/append_only.py`), and the
  foreign keys would want an order: `session_replication_role = replica` skips both triggers
  (a superuser's setting, for this transaction only);
- the sequences a test used are set back to start at 1, as RESTART IDENTITY did;
- it is one round trip, on a connection kept for the run.

A server where the tests' user may not change `session_replication_role` (an existing one given
by FIT_TEST_DATABASE_URL) is emptied with TRUNCATE as before.
"""

from __future__ import annotations

import functools
from contextlib import closing

import psycopg
from sqlalchemy import Engine, create_engine, text

from fit_platform.db import Base


def _table_names() -> list[str]:
    return [f'"{table.name}"' for table in Base.metadata.sorted_tables]


@functools.cache  # the schema does not change within a run
def _delete_statement() -> str:
    deletes = "".join(f"DELETE FROM {name};" for name in reversed(_table_names()))
    return (
        "SET LOCAL session_replication_role = replica;"
        f"{deletes}"
        "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1, false)"
        " FROM pg_sequences WHERE last_value IS NOT NULL;"
    )


@functools.cache
def _engine(url: str) -> Engine:
    # One connection for the run's resets; pinged, as a test may have restarted the server.
    return create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)


def empty_postgres(url: str) -> None:
    """Delete every row of the schema's tables and restart their ids at 1."""
    engine = _engine(url)
    try:
        # Straight to the driver, without parameters: psycopg then sends the statements as one
        # simple query (with parameters it would refuse more than one).
        with engine.begin() as connection, closing(connection.connection.cursor()) as cursor:
            cursor.execute(_delete_statement())
    except psycopg.errors.InsufficientPrivilege:
        with engine.begin() as connection:
            connection.execute(
                text(f"TRUNCATE {', '.join(_table_names())} RESTART IDENTITY CASCADE")
            )
