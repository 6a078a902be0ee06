"""The admin audit trail: rows go in with the change, and nothing can change them afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, text, update

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Unit
from fit_platform.domain.codes import UnitKind
from fit_platform.services.admin_audit import admin_changes, changed_fields, record_admin_change

AT = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)


def _record(db: Database, **kwargs: object) -> None:
    with db.transaction() as session:
        record_admin_change(
            session,
            staff_id=None,
            action="unit_renamed",
            target_kind="unit",
            target_id=7,
            before={"name": "DPS Nord"},
            after={"name": "DPS Nord, poliklinikk"},
            at=AT,
            **kwargs,  # type: ignore[arg-type]
        )


def test_a_change_is_listed_newest_first_with_before_and_after(db: Database) -> None:
    _record(db)
    _record(db, reason="Navnet i brev fra direktøren")
    changes, total, _units, _names, _staff = admin_changes(db)
    assert total == 2
    newest = changes[0]
    assert newest.reason == "Navnet i brev fra direktøren"
    assert (newest.actor, newest.action, newest.target_kind, newest.target_id) == (
        "command",
        "unit_renamed",
        "unit",
        7,
    )
    assert newest.before == {"name": "DPS Nord"}
    assert newest.after == {"name": "DPS Nord, poliklinikk"}


def test_the_audit_row_is_saved_with_the_change_or_not_at_all(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(Unit(code="nord", name="DPS Nord", kind=UnitKind.OUTPATIENT))
        record_admin_change(
            session, staff_id=None, action="unit_created", target_kind="unit", target_id=None, at=AT
        )
        raise RuntimeError("the request failed after the change")
    with db.session() as session:
        assert session.scalars(select(AdminAudit)).all() == []
        assert session.scalars(select(Unit)).all() == []


def test_only_changed_fields_are_kept() -> None:
    before, after = changed_fields(
        {"name": "A", "phone": "1", "quiet_from": "21:00"},
        {"name": "B", "phone": "1", "quiet_from": "22:00"},
    )
    assert before == {"name": "A", "quiet_from": "21:00"}
    assert after == {"name": "B", "quiet_from": "22:00"}


@pytest.mark.parametrize(
    "statement",
    [
        update(AdminAudit).values(reason="rewritten"),
        delete(AdminAudit),
    ],
)
def test_the_admin_audit_cannot_be_changed_even_in_bulk(db: Database, statement: object) -> None:
    _record(db)
    with pytest.raises(Exception, match="append-only"), db.transaction() as session:
        session.execute(statement)  # type: ignore[call-overload]


def test_raw_sql_cannot_change_the_admin_audit(db: Database) -> None:
    _record(db)
    with pytest.raises(Exception, match="append-only"), db.transaction() as session:
        session.execute(text("UPDATE admin_audit SET action = 'nothing'"))
    with pytest.raises(Exception, match="append-only"), db.transaction() as session:
        session.execute(text("DELETE FROM admin_audit"))
    assert admin_changes(db)[1] == 1
