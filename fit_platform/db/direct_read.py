"""One read-only PostgreSQL connection per process, for a hot SELECT without SQLAlchemy's
execution machinery.

Every patient page starts with the same joined SELECT (`services/link_context.py`). Through
SQLAlchemy it went through a pool checkout and checkin (with their events and the autocommit
switch), the compiled-statement cache, an execution context, the cursor's description and the
result's row processing: together more CPU in the web worker than PostgreSQL needed to answer.
Here the statement's SQL is compiled once, and each read is one prepared execution on a psycopg
connection in autocommit mode that the process keeps for it; rows come back as plain tuples
and the caller converts the few values that need it (enums, timestamps).

What stays as before:
- listeners of the engine's ``before_cursor_execute`` event see the statement (the tests that
  count a page's statements, any tracing), so the read is not invisible;
- a database that went away (restart, failover, dropped socket) is noticed on the read itself:
  the connection is opened again and the read tried once more (a SELECT is safe to repeat);
  if that fails too, the error is SQLAlchemy's ``OperationalError``, which the web turns
  into its 503 page like any other. No ping before each read: the retry replaces it.
- a process that forks (a web server that loads the app before starting its workers) opens
  its own connection; the parent's is left alone.

Only for SELECTs that need no transaction: each one sees what was committed when it started.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from sqlalchemy import Engine, exc
from sqlalchemy.sql import ClauseElement


class DirectReader:
    """Prepared SELECTs on a connection of their own; PostgreSQL (psycopg 3) only."""

    def __init__(self, engine: Engine) -> None:
        assert engine.dialect.driver == "psycopg", "direct reads are for PostgreSQL with psycopg 3"
        self._engine = engine
        self._lock = threading.Lock()
        self._connection: Any = None
        self._pid = 0
        # Connections a forked child found open: the parent still uses them, so the child
        # neither closes them nor lets them be collected (closing would end the parent's).
        self._inherited: list[Any] = []
        # Each statement's SQL text, compiled on its first read (statements are built once).
        self._sql: dict[int, tuple[ClauseElement, str]] = {}

    def fetch_all(self, statement: ClauseElement, parameters: dict[str, Any]) -> list[Any]:
        """The rows of one SELECT, as tuples in the statement's column order."""
        kept = self._sql.get(id(statement))
        if kept is None or kept[0] is not statement:
            kept = (statement, str(statement.compile(dialect=self._engine.dialect)))
            self._sql[id(statement)] = kept
        sql = kept[1]
        try:
            return self._fetch(self._connected(), sql, parameters)
        except self._engine.dialect.loaded_dbapi.Error as first:
            if not _connection_lost(self._connection, first):
                raise exc.DBAPIError.instance(
                    sql, parameters, first, self._engine.dialect.loaded_dbapi.Error
                ) from first
            self._drop()
        try:
            return self._fetch(self._connected(), sql, parameters)
        except self._engine.dialect.loaded_dbapi.Error as second:
            self._drop()
            raise exc.OperationalError(sql, parameters, second) from second

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None

    def _fetch(self, connection: Any, sql: str, parameters: dict[str, Any]) -> Any:
        with connection.cursor() as cursor:
            listeners = self._engine.dispatch.before_cursor_execute
            if listeners:
                listeners(None, cursor, sql, parameters, None, False)
            cursor.execute(sql, parameters, prepare=True)
            return cursor.fetchall()

    def _connected(self) -> Any:
        connection = self._connection
        if connection is not None and self._pid == os.getpid():
            return connection
        with self._lock:
            if self._connection is not None and self._pid != os.getpid():
                self._inherited.append(self._connection)
                self._connection = None
            if self._connection is None:
                dialect = self._engine.dialect
                cargs, cparams = dialect.create_connect_args(self._engine.url)
                try:
                    connection = dialect.loaded_dbapi.connect(*cargs, **cparams)
                except dialect.loaded_dbapi.Error as error:
                    raise exc.OperationalError("connect", {}, error) from error
                connection.autocommit = True
                self._connection, self._pid = connection, os.getpid()
            return self._connection

    def _drop(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to release
                connection.close()


def _connection_lost(connection: Any, error: Exception) -> bool:
    """The error came from the connection, not from the statement (the server restarted,
    the socket was closed): reopening and reading again may succeed."""
    import psycopg

    return connection is None or connection.broken or isinstance(error, psycopg.OperationalError)
