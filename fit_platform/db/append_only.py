"""Refuse updates and deletes of append-only records (consent history, access log, export and
admin audit, the patient's crisis-plan versions and standing-choice events).

Two lines of defence:
- in the ORM, for every code path of ours (a clear error before anything reaches the database);
- in the database, triggers that refuse UPDATE and DELETE whatever sends them (a bulk
  `update()`, a `delete()`, a psql session with the application's role). They are created
  with the tables (`create_all`, used by the tests) and by the Alembic revision
  `20261202_a1f3c5e7d9b2` for existing databases. TRUNCATE is left to the table owner (the
  application role should not own the tables), and so is a superuser's session that turns
  triggers off (`session_replication_role`), as the tests do to empty the tables between tests.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Table, event
from sqlalchemy.orm import Session

from fit_platform.db.models import (
    AccessLog,
    AdminAudit,
    ConsentEvent,
    CrisisPlanVersion,
    ExportAudit,
    StandingChoiceEvent,
)

APPEND_ONLY = (
    AccessLog,
    AdminAudit,
    ConsentEvent,
    ExportAudit,
    CrisisPlanVersion,
    StandingChoiceEvent,
)
APPEND_ONLY_TABLES = tuple(model.__tablename__ for model in APPEND_ONLY)


class AppendOnlyViolation(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are append-only")


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION fit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def trigger_statements(dialect: str, table: str) -> list[str]:
    """CREATE statements for the triggers that keep `table` append-only."""
    if dialect == "postgresql":
        return [
            POSTGRES_FUNCTION,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION fit_refuse_change()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def _attach(table: Table) -> None:
    for dialect in ("postgresql", "sqlite"):
        for statement in trigger_statements(dialect, table.name):
            # DDL formats with %, so the literal % of RAISE is doubled.
            # SQLAlchemy leaves DDL.__init__ unannotated.
            ddl = DDL(statement.replace("%", "%%")).execute_if(  # type: ignore[no-untyped-call]
                dialect=dialect
            )
            event.listen(table, "after_create", ddl)


for _model in APPEND_ONLY:
    _attach(_model.__table__)
