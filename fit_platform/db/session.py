"""One engine per process and a unit-of-work helper that services use to open transactions."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from fit_platform.db.base import rows_stamped_at
from fit_platform.db.direct_read import DirectReader

# With `ping="idle"` (the web), a pooled connection unused for longer than this is checked
# with a ping before it is handed out (the server may have restarted, or a firewall dropped
# the idle socket). SQLAlchemy's `pool_pre_ping` (the default, `ping="always"`) pings on every
# checkout: one more round trip on every request of a busy web worker whose connection was in
# use a millisecond ago. The price: a database restart while a worker is busy fails the
# requests already using a dead connection (the pool then replaces all of them); the
# dispatcher and the scheduler keep pinging always, since they must ride out a restart.
IDLE_PING_SECONDS = 2.0
_LAST_USED = "fit_last_used"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets the scheduler write while pages read.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection only when it has been idle; a failed ping makes the pool
    throw the connection away and open a fresh one (the request does not notice)."""

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_USED)
        if last is not None and time.monotonic() - last < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure means "do not use this one"
            raise exc.DisconnectionError("idle connection failed its ping") from error
        if not alive:
            raise exc.DisconnectionError("idle connection failed its ping")
        record.info[_LAST_USED] = time.monotonic()


def make_engine(url: str, ping: str = "always", **kwargs: Any) -> Engine:
    """The engine for ``url``; ``ping`` is "always" (before every checkout) or "idle".

    SQLAlchemy never renders a statement's parameters into an exception's text
    (`hide_parameters`): they are patients' names, contact details and answers, and an
    error's text can reach a log or a terminal."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if ping == "always":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


class Database:
    """The process's engine and session factory.

    Services receive a `Database` and open their own transaction with `transaction()`;
    read-only pages use `session()`, or `reading()` for a few plain SELECTs on a hot path.
    Objects stay usable after commit (no expiry) so a view can render what a service returned.

    A service that is given the time (`now`, from the scheduler's clock, the page's clock or
    a test) opens its transaction with `transaction(now=now)`: the rows it inserts are then
    stamped with that time (`created_at` and the like, `db/base.py: row_time`), not with the
    real clock. `tests/foundation/test_architecture.py` holds every service to it.
    """

    def __init__(self, url: str, ping: str = "always", **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, ping, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Same pool; each statement commits by itself, so a read sends no BEGIN or ROLLBACK.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._direct: DirectReader | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, now: dt.datetime | None = None) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error; rows
        it inserts are stamped with `now` when given."""
        # The stamp is entered first and left last: the commit's flush inserts the rows.
        with rows_stamped_at(now), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def session(self, now: dt.datetime | None = None) -> Iterator[Session]:
        """A session for reads; anything written must be committed explicitly (rows it
        inserts are stamped with `now` when given)."""
        with rows_stamped_at(now), self._sessions() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads outside a transaction (no BEGIN/ROLLBACK round trips).

        Each statement sees what was committed when it started; use it for one statement,
        or for several that need not agree with each other. Never write through it.
        """
        with self._autocommit.connect() as connection:
            yield connection

    def direct_reader(self) -> DirectReader | None:
        """On PostgreSQL, the process's connection for a hot read (or the page save's short
        transaction) without SQLAlchemy's execution machinery (`db/direct_read.py`); None on
        SQLite (it reads in the process)."""
        if self._direct is None and self.engine.dialect.driver == "psycopg":
            self._direct = DirectReader(self.engine)
        return self._direct

    def dispose(self) -> None:
        if self._direct is not None:
            self._direct.close()
        self.engine.dispose()
