"""The access log and the consent history refuse changes in the database itself, whatever
sends them: a bulk ORM statement or raw SQL (the ORM guard only sees objects it loaded)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, ConsentEvent
from fit_platform.domain.codes import Actor, ConsentEventKind, Role
from fit_platform.services.access_log import record_access
from tests.support.factories import NOW, make_world


def _one_row_each(db: Database) -> None:
    world = make_world(db)
    with db.transaction() as session:
        record_access(
            session,
            staff_id=world.therapist_id,
            role=Role.THERAPIST,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            action="presession_view",
            now=NOW,
        )
        session.add(
            ConsentEvent(
                patient_id=world.patient_id, kind=ConsentEventKind.PAUSED, actor=Actor.PATIENT
            )
        )


@pytest.mark.parametrize(
    "statement",
    [
        update(AccessLog).values(action="edited"),
        delete(AccessLog),
        update(ConsentEvent).values(reason="edited"),
        delete(ConsentEvent),
        text("UPDATE access_log SET reason = 'edited'"),
        text("DELETE FROM access_log"),
        text("UPDATE consent_event SET kind = 'stopped'"),
        text("DELETE FROM consent_event"),
    ],
    ids=lambda s: str(s).split("\n")[0][:40],
)
def test_the_database_refuses_to_change_or_delete_history(db: Database, statement) -> None:  # type: ignore[no-untyped-def]
    _one_row_each(db)
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
        session.execute(statement)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AccessLog)) == 1
        assert session.scalar(select(AccessLog.action)) == "presession_view"
        assert session.scalar(select(ConsentEvent.kind)) is ConsentEventKind.PAUSED
        assert session.scalar(select(ConsentEvent.reason)) is None


def test_new_history_rows_are_still_written(db: Database) -> None:
    _one_row_each(db)
    _one_row_each(db)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 2
