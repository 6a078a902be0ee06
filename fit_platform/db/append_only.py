"""Refuse updates and deletes of append-only records (consent history, access log).

Enforced in the ORM for every code path of ours; PostgreSQL deployments can add a REVOKE
of UPDATE/DELETE on these tables for the application role as a second line.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from fit_platform.db.models import AccessLog, ConsentEvent

APPEND_ONLY = (AccessLog, ConsentEvent)


class AppendOnlyViolation(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are append-only")
