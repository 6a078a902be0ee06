"""Administrators add, rename, archive and bring back a unit's programmes.

Who may call it: an administrator (the admin pages check the role). As for units
(`services/units_admin.py`), every change writes its admin audit row in the same transaction,
and one log line with ids only; a refused change (`AdminRefusal`) saves nothing. A programme's
code and name are unique within its unit, compared as unit names are (`domain.names.name_key`).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Programme
from fit_platform.domain.names import name_key
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.admin_refusal import SHORT_CODE, AdminNotFound, AdminRefusal
from fit_platform.services.registration import clean_line
from fit_platform.services.units_admin import get_unit

log = logging.getLogger(__name__)


def _programme(session: Session, programme_id: int) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise AdminNotFound(programme_id)
    return programme


def _programme_duplicates(
    session: Session, unit_id: int, code: str | None, name: str, programme_id: int | None
) -> list[tuple[str, str]]:
    others = select(Programme.code, Programme.name).where(Programme.unit_id == unit_id)
    if programme_id is not None:
        others = others.where(Programme.id != programme_id)
    rows = session.execute(others).all()  # a unit's few programmes, compared as units are
    problems: list[tuple[str, str]] = []
    if code and name_key(code) in {name_key(row.code or "") for row in rows}:
        problems.append(("code", "code_taken"))
    if name and name_key(name) in {name_key(row.name) for row in rows}:
        problems.append(("name", "name_taken"))
    return problems


def _new_programme_problems(
    session: Session, unit_id: int, code: str, name: str
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not SHORT_CODE.fullmatch(code):
        problems.append(("code", "bad_code"))
    if not name:
        problems.append(("name", "required"))
    return problems + _programme_duplicates(session, unit_id, code, name, None)


def programme_problems(
    db: Database, *, unit_id: int, code: str, name: str
) -> list[tuple[str, str]]:
    """What `create_programme` would refuse, saving nothing (the page asks when its own form
    has found errors too, so every message comes in one round)."""
    with db.session() as session:
        return _new_programme_problems(
            session, unit_id, clean_line(code, 64).lower(), clean_line(name, 200)
        )


def create_programme(
    db: Database, *, staff_id: int, unit_id: int, code: str, name: str, now: dt.datetime
) -> int:
    """Add a programme to a unit; code and name are unique within the unit. A refusal names
    every wrong field at once."""
    code = clean_line(code, 64).lower()
    name = clean_line(name, 200)
    try:
        with db.transaction(now=now) as session:
            unit = get_unit(session, unit_id)
            if unit.archived_at is not None:
                raise AdminRefusal("name", "unit_archived")
            if problems := _new_programme_problems(session, unit_id, code, name):
                raise AdminRefusal.of(problems)
            programme = Programme(unit_id=unit_id, code=code, name=name)
            session.add(programme)
            session.flush()
            record_admin_change(
                session,
                staff_id=staff_id,
                action="programme_created",
                target_kind="programme",
                target_id=programme.id,
                after={"unit_id": unit_id, "code": code, "name": name},
                at=now,
            )
            programme_id = programme.id
    except IntegrityError as exc:
        raise AdminRefusal("code", "code_taken") from exc
    log.info(
        "programme created",
        extra={"event": "programme_created", "programme_id": programme_id, "staff_id": staff_id},
    )
    return programme_id


def rename_programme(
    db: Database, *, staff_id: int, programme_id: int, name: str, now: dt.datetime
) -> None:
    name = clean_line(name, 200)
    if not name:
        raise AdminRefusal("name", "required")
    with db.transaction(now=now) as session:
        programme = _programme(session, programme_id)
        if programme.name == name:
            return
        if taken := _programme_duplicates(session, programme.unit_id, None, name, programme_id):
            raise AdminRefusal.of(taken)
        record_admin_change(
            session,
            staff_id=staff_id,
            action="programme_renamed",
            target_kind="programme",
            target_id=programme_id,
            before={"name": programme.name},
            after={"name": name},
            at=now,
        )
        programme.name = name
    log.info(
        "programme renamed",
        extra={"event": "programme_renamed", "programme_id": programme_id, "staff_id": staff_id},
    )


def set_programme_archived(
    db: Database, *, staff_id: int, programme_id: int, archived: bool, now: dt.datetime
) -> int:
    """Archive (or bring back) a programme; returns its unit's id. An archived programme takes
    no new episodes and its schedule template is no longer copied; open episodes go on."""
    with db.transaction(now=now) as session:
        programme = _programme(session, programme_id)
        unit_id = programme.unit_id
        if (programme.archived_at is not None) == archived:
            return unit_id
        programme.archived_at = now if archived else None
        record_admin_change(
            session,
            staff_id=staff_id,
            action="programme_archived" if archived else "programme_restored",
            target_kind="programme",
            target_id=programme_id,
            before={"archived": not archived},
            after={"archived": archived},
            at=now,
        )
    log.info(
        "programme archived" if archived else "programme restored",
        extra={
            "event": "programme_archived",
            "archived": archived,
            "programme_id": programme_id,
            "staff_id": staff_id,
        },
    )
    return unit_id
