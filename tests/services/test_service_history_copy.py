"""The tests' copy of the demo's service history (tests/support/service_history.py) is what the
seeding writes: the same rows with the same ids, and the next row of each table gets the id
it would get after the seeding."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from typing import Any

from sqlalchemy import select

from fit_platform.db import Base, Database
from fit_platform.services.demo_history import seed_demo_service_history
from tests.support.empty_database import empty_postgres
from tests.support.factories import make_unit
from tests.support.service_history import TABLES, keep_service_history, seed_service_history

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def _rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.reading() as connection:
        return {
            name: [
                tuple(row)
                for row in connection.execute(
                    select(Base.metadata.tables[name]).order_by(Base.metadata.tables[name].c.id)
                )
            ]
            for name in TABLES
        }


def _empty(db: Database) -> None:
    if db.dialect == "postgresql":
        empty_postgres(db.url)
        return
    path = db.engine.url.database
    assert path
    with closing(sqlite3.connect(path)) as connection, connection:
        for name in reversed(TABLES):
            connection.execute(f'DELETE FROM "{name}"')


def test_the_copy_is_what_the_seeding_writes(db: Database) -> None:
    seed_demo_service_history(db, NOW)
    seeded = _rows(db)
    keep_service_history(db, NOW)  # a copy of these rows, unless the process has one
    next_unit_after_seeding = make_unit(db).id
    _empty(db)
    seed_service_history(db, NOW)  # a copy, as one is kept now
    assert _rows(db) == seeded
    assert sum(len(rows) for rows in seeded.values()) > 30_000
    assert make_unit(db).id == next_unit_after_seeding == max(r[0] for r in seeded["unit"]) + 1
