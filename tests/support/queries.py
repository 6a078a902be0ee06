"""Count the SQL statements a block of code sends (a `before_cursor_execute` listener)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # SQLite connection set-up (PRAGMA) and savepoints are not the code's queries.
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)


@contextmanager
def count_statements(engine: Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)
