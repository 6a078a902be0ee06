"""What a log line may say about a failed database call: the error's class, a short reason
from a fixed list, PostgreSQL's SQLSTATE code and where in our code it happened.

Never the driver's message or SQLAlchemy's rendering of the statement: PostgreSQL's message
quotes the values of a unique key (`DETAIL: Key (external_id)=(EPJ-…) already exists`),
and a traceback carries both. The web logs a database outage the same way (web/errors.py).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exc

_PACKAGE = Path(__file__).resolve().parents[1]

# Most specific first: IntegrityError and OperationalError are both DBAPIErrors.
_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (exc.OperationalError, "database unavailable"),
    (exc.InterfaceError, "database unavailable"),
    (exc.DisconnectionError, "database unavailable"),
    (exc.TimeoutError, "no database connection free"),
    (exc.IntegrityError, "database constraint refused the change"),
    (exc.ProgrammingError, "database refused the statement"),
    (exc.DataError, "database refused a value"),
)


def database_error(error: BaseException) -> exc.SQLAlchemyError | None:
    """The database error behind ``error`` (itself, or one it was raised from), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, exc.SQLAlchemyError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


@dataclass(frozen=True)
class DatabaseFailure:
    """What a log line may say: `error` (the driver's class, as the web logs it), `reason`,
    `sqlstate` when PostgreSQL gave one, and `where` (our innermost frame)."""

    error: str
    reason: str
    sqlstate: str | None
    where: str | None


def describe(error: exc.SQLAlchemyError, raised: BaseException | None = None) -> DatabaseFailure:
    """The loggable facts of a database failure (``raised``: the exception caught, for its
    traceback, when ``error`` is one it was raised from)."""
    orig = getattr(error, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    return DatabaseFailure(
        error=type(orig or error).__name__,
        reason=next(
            (reason for kind, reason in _REASONS if isinstance(error, kind)), "database error"
        ),
        sqlstate=(
            sqlstate
            if isinstance(sqlstate, str) and sqlstate.isalnum() and len(sqlstate) == 5
            else None
        ),
        where=_our_innermost_frame(raised or error),
    )


def _our_innermost_frame(error: BaseException) -> str | None:
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(_PACKAGE):
            found = f"{path.relative_to(_PACKAGE.parent)}:{frame.lineno} in {frame.name}"
    return found
