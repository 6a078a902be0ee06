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

One exception, the right to erasure: the patient's own plan (crisis-plan versions and
standing-choice events, `ERASABLE`) is her words, not a record of what staff did, so an
erasure of her feedback data removes it. Their DELETE trigger lets a row go only while its
patient has a row in `erasure_in_progress`, which the erasure inserts and deletes in its own
transaction (`services/patient_data.erase_feedback`); UPDATE is refused as before. The access
log, the audits and the consent history stay append-only without exception. The Alembic
revision `20261205_b7e2d4a9c6f1` made the trigger of existing databases so.
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
# Deleted by an erasure of the patient's feedback data, and by nothing else.
ERASABLE = (CrisisPlanVersion, StandingChoiceEvent)
ERASABLE_TABLES = tuple(model.__tablename__ for model in ERASABLE)


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


POSTGRES_ERASABLE_FUNCTION = """
CREATE OR REPLACE FUNCTION fit_refuse_change_unless_erased() RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM erasure_in_progress WHERE patient_id = OLD.patient_id
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def trigger_statements(dialect: str, table: str) -> list[str]:
    """CREATE statements for the triggers that keep `table` append-only (for `ERASABLE`
    tables, but for the rows of a patient being erased)."""
    erasable = table in ERASABLE_TABLES
    if dialect == "postgresql":
        function = "fit_refuse_change_unless_erased" if erasable else "fit_refuse_change"
        return [
            POSTGRES_ERASABLE_FUNCTION if erasable else POSTGRES_FUNCTION,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
    unless_erased = (
        " WHEN NOT EXISTS (SELECT 1 FROM erasure_in_progress"
        " WHERE erasure_in_progress.patient_id = OLD.patient_id)"
    )
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
        f"{unless_erased if erasable and verb == 'DELETE' else ''} "
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
