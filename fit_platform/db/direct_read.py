"""One PostgreSQL connection per process, for a hot SELECT (and the page save's short
transaction) without SQLAlchemy's execution machinery.

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

Reads need no transaction: each one sees what was committed when it started. A short write
that must hold a row lock (the patient's page save, `services/page_save.py`) runs as one
transaction on the same connection (`transaction`): BEGIN, its prepared statements, COMMIT,
with the connection kept for that thread until it ends. If the connection is found lost
inside it, nothing was committed by it (or a COMMIT's answer was lost), so the whole unit is
run once more on a new connection: the caller's work must be safe to repeat.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, exc
from sqlalchemy.sql import ClauseElement

T = TypeVar("T")


class DirectReader:
    """Prepared SELECTs (and short transactions) on a connection of their own; PostgreSQL
    (psycopg 3) only."""

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
        # Held for each read and for a whole transaction: a thread's read never lands inside
        # another thread's transaction on the shared connection (re-entrant for the owner).
        self._use = threading.RLock()

    def fetch_all(self, statement: ClauseElement, parameters: dict[str, Any]) -> list[Any]:
        """The rows of one SELECT, as tuples in the statement's column order."""
        sql = self._compiled(statement)
        try:
            with self._use:
                return self._fetch(self._connected(), sql, parameters)
        except self._engine.dialect.loaded_dbapi.Error as first:
            if not _connection_lost(self._connection, first):
                raise exc.DBAPIError.instance(
                    sql,
                    parameters,
                    first,
                    self._engine.dialect.loaded_dbapi.Error,
                    # Like the engine's own errors (make_engine): no values in the text.
                    hide_parameters=self._engine.hide_parameters,
                ) from first
            self._drop()
        try:
            with self._use:
                return self._fetch(self._connected(), sql, parameters)
        except self._engine.dialect.loaded_dbapi.Error as second:
            self._drop()
            raise exc.OperationalError(
                sql, parameters, second, hide_parameters=self._engine.hide_parameters
            ) from second

    def transaction(self, work: Callable[[DirectTransaction], T]) -> T:
        """``work`` in one transaction on the process's connection: committed when it returns,
        rolled back when it raises. Errors of the database come as SQLAlchemy's exceptions
        (a unique-key race as ``IntegrityError``); a lost connection runs ``work`` once more
        on a new one, and is ``OperationalError`` if that fails too."""
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        for attempt in (1, 2):
            with self._use:
                connection = self._connected()
                # One cursor for BEGIN, the statements and COMMIT (not one per statement).
                unit = DirectTransaction(self, connection.cursor())
                try:
                    unit.cursor.execute("BEGIN")
                    result = work(unit)
                    unit.sql = "COMMIT"
                    unit.cursor.execute("COMMIT")
                    return result
                except dbapi_error as error:
                    if _connection_lost(connection, error):
                        self._drop()
                        if attempt == 1:
                            continue
                        raise exc.OperationalError(unit.sql, {}, error) from error
                    self._rollback(connection)
                    raise exc.DBAPIError.instance(unit.sql, {}, error, dbapi_error) from error
                except BaseException:
                    self._rollback(connection)
                    raise
                finally:
                    unit.cursor.close()  # client-side only: safe on a broken connection
        raise AssertionError("unreachable")  # pragma: no cover

    def _compiled(self, statement: ClauseElement) -> str:
        kept = self._sql.get(id(statement))
        if kept is None or kept[0] is not statement:
            kept = (statement, str(statement.compile(dialect=self._engine.dialect)))
            self._sql[id(statement)] = kept
        return kept[1]

    def _rollback(self, connection: Any) -> None:
        try:
            connection.execute("ROLLBACK")
        except Exception:  # the connection broke on the way: the server rolls back for us
            self._drop()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None

    def _fetch(self, connection: Any, sql: str, parameters: dict[str, Any]) -> list[Any]:
        with connection.cursor() as cursor:
            self._run(cursor, sql, parameters)
            rows: list[Any] = cursor.fetchall()  # the DBAPI cursor is untyped
            return rows

    def _run(self, cursor: Any, sql: str, parameters: dict[str, Any]) -> None:
        listeners = self._engine.dispatch.before_cursor_execute
        if listeners:
            listeners(None, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters, prepare=True)

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


class DirectTransaction:
    """The statements of one `DirectReader.transaction`, prepared and announced like its reads,
    on the transaction's one cursor."""

    def __init__(self, reader: DirectReader, cursor: Any) -> None:
        self._reader = reader
        self.cursor = cursor
        self.sql = "BEGIN"  # the statement running, for the error SQLAlchemy's exceptions carry

    def fetch_all(self, statement: ClauseElement, parameters: dict[str, Any]) -> list[Any]:
        self.sql = self._reader._compiled(statement)
        self._reader._run(self.cursor, self.sql, parameters)
        return self.cursor.fetchall()  # type: ignore[no-any-return]

    def execute(self, statement: ClauseElement, parameters: dict[str, Any]) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        self.sql = self._reader._compiled(statement)
        self._reader._run(self.cursor, self.sql, parameters)
        return self.cursor.rowcount  # type: ignore[no-any-return]


def _connection_lost(connection: Any, error: Exception) -> bool:
    """The error came from the connection, not from the statement (the server restarted,
    the socket was closed): reopening and reading again may succeed."""
    import psycopg

    return connection is None or connection.broken or isinstance(error, psycopg.OperationalError)
