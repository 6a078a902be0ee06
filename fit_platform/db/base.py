"""Declarative base, constraint naming and the UTC timestamp type shared by every model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from typing import Any, ClassVar

from sqlalchemy import DateTime, Dialect, MetaData, String, Table, TypeDecorator
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic diffs stable and make downgrades possible on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps are stored in UTC (timestamptz on PostgreSQL) and always come back aware.

    SQLite has no time zone type, so values are normalised to UTC on the way in and
    tagged as UTC on the way out; a naive datetime is a programming error and refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def enum_column(enum_class: type[Enum], name: str) -> SAEnum:
    """A portable enum: VARCHAR plus a named CHECK constraint, stored by value."""
    return SAEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# The time a transaction opened with an injected clock works at (`Database.transaction(now=)`).
# A context variable, not a global: each web thread and scheduler job has its own.
_ROW_TIME: ContextVar[dt.datetime | None] = ContextVar("fit_row_time", default=None)


def row_time() -> dt.datetime:
    """When a new row was written: the default of every `created_at`-like column.

    Inside `rows_stamped_at(now)` it is that `now`, so rows a scheduler job or a service
    writes under an injected clock (a test at 22:30, a demo's history) agree with the times
    it compares them with (retention, "sent 2 days ago", reports); elsewhere the real clock.
    Column defaults are used by ORM flushes and by Core inserts alike, including
    INSERT … SELECT (evaluated once per statement).
    """
    return _ROW_TIME.get() or utcnow()


@contextmanager
def rows_stamped_at(now: dt.datetime | None) -> Iterator[None]:
    """Stamp rows written inside the block with `now` (None: leave the clock as it is, so a
    nested transaction without a `now` keeps the outer one)."""
    if now is None:
        yield
        return
    if now.tzinfo is None:
        raise ValueError("naive datetime given where a UTC timestamp is required")
    token = _ROW_TIME.set(now)
    try:
        yield
    finally:
        _ROW_TIME.reset(token)


class Base(DeclarativeBase):
    # Every model maps one table (none maps a join or a select), so its __table__ is a Table.
    __table__: ClassVar[Table]

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), str: String(255)}
