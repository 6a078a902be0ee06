"""Every change an administrator makes leaves an append-only audit row.

`record_admin_change` adds the row inside the caller's transaction, so the change and its
audit row are saved together or not at all. `before` and `after` hold only the fields that
changed, as JSON; callers never pass a password, a token, a TOTP secret or a patient's answer
(the admin pages never read answers). The command line (`create-admin`) records actor
'command'.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Programme, SchedulePlan, Staff, Unit

JsonFields = Mapping[str, Any]


@dataclass(frozen=True)
class AdminChange:
    id: int
    at: dt.datetime
    actor: str
    actor_name: str | None
    action: str
    target_kind: str
    target_id: int | None
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str | None


class AuditPage(NamedTuple):
    changes: list[AdminChange]
    total: int
    # The name of every unit the page's changes refer to, by id (one query for the page).
    unit_names: dict[int, str]
    # The name of each staff member, programme and schedule template changed, by (kind, id):
    # "Programme archived (Programme 10)" told an auditor nothing without a second look.
    target_names: dict[tuple[str, int], str]
    # The names of the staff a change's details refer to by id (an episode's responsible
    # therapists before and after a transfer): "2 → 3" beside a named row told nothing.
    staff_names: dict[int, str] = {}


# Where a change refers to a unit: its target, a `unit_id` detail, or a role held in a unit
# ("therapist@4", written by services/staff_invites.py and services/staff_admin.py).
ROLE_AT_UNIT = re.compile(r"(?P<role>[a-z_]+)@(?P<unit>\d+|all)")


def _dump(fields: JsonFields | None) -> str | None:
    if not fields:
        return None
    return json.dumps(dict(fields), ensure_ascii=False, sort_keys=True, default=str)


def record_admin_change(
    session: Session,
    *,
    staff_id: int | None,
    action: str,
    target_kind: str,
    target_id: int | None,
    at: dt.datetime,
    before: JsonFields | None = None,
    after: JsonFields | None = None,
    reason: str | None = None,
) -> None:
    """Add the audit row for one change to `session` (the caller's transaction)."""
    session.add(
        AdminAudit(
            staff_id=staff_id,
            actor="staff" if staff_id is not None else "command",
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            before=_dump(before),
            after=_dump(after),
            reason=reason,
            at=at,
        )
    )


def changed_fields(before: JsonFields, after: JsonFields) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value differs, as (before, after) dicts for `record_admin_change`."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _unit_ids(change: AdminChange) -> Iterator[int]:
    if change.target_kind == "unit" and change.target_id is not None:
        yield change.target_id
    for fields in (change.before, change.after):
        if isinstance(fields.get("unit_id"), int):
            yield fields["unit_id"]
        for key in ("role", "roles"):
            values = fields.get(key)
            for value in values if isinstance(values, list) else [values]:
                found = ROLE_AT_UNIT.fullmatch(value) if isinstance(value, str) else None
                if found is not None and found["unit"] != "all":
                    yield int(found["unit"])


def admin_changes(db: Database, *, limit: int = 50, offset: int = 0) -> AuditPage:
    """The newest changes first, one page of them, how many there are in all, and the names
    of the units they refer to."""
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(AdminAudit)) or 0
        rows = session.execute(
            select(AdminAudit, Staff.display_name)
            .outerjoin(Staff, Staff.id == AdminAudit.staff_id)
            .order_by(AdminAudit.at.desc(), AdminAudit.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        changes = [
            AdminChange(
                id=row.id,
                at=row.at,
                actor=row.actor,
                actor_name=name,
                action=row.action,
                target_kind=row.target_kind,
                target_id=row.target_id,
                before=json.loads(row.before) if row.before else {},
                after=json.loads(row.after) if row.after else {},
                reason=row.reason,
            )
            for row, name in rows
        ]
        unit_ids = {unit_id for change in changes for unit_id in _unit_ids(change)}
        names: dict[int, str] = {}
        if unit_ids:
            found = session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
            names = {unit_id: name for unit_id, name in found}
        staff_ids = {
            staff_id
            for change in changes
            for fields in (change.before, change.after)
            for staff_id in fields.get(STAFF_ID_LISTS, [])
            if isinstance(staff_id, int)
        }
        staff_names: dict[int, str] = {}
        if staff_ids:
            found = session.execute(
                select(Staff.id, Staff.display_name).where(Staff.id.in_(staff_ids))
            )
            staff_names = {staff_id: name for staff_id, name in found}
        return AuditPage(changes, total, names, _target_names(session, changes), staff_names)


# The detail that lists staff by id (services/episodes_admin.py, a transfer's before/after).
STAFF_ID_LISTS = "responsible_staff_ids"


# The kinds of target named on the trail, and where their names are (patients and episodes
# keep their number: the trail is not the place to list patients).
_NAMED_TARGETS: dict[str, tuple[Any, Any]] = {
    "staff": (Staff.id, Staff.display_name),
    "programme": (Programme.id, Programme.name),
    "schedule_plan": (SchedulePlan.id, SchedulePlan.name),
}


def _target_names(session: Session, changes: list[AdminChange]) -> dict[tuple[str, int], str]:
    """(kind, id) → name of the page's targets, one query per kind found on the page."""
    names: dict[tuple[str, int], str] = {}
    for kind, (id_column, name_column) in _NAMED_TARGETS.items():
        ids = {c.target_id for c in changes if c.target_kind == kind and c.target_id is not None}
        if ids:
            found = session.execute(select(id_column, name_column).where(id_column.in_(ids)))
            names.update(((kind, target_id), name) for target_id, name in found)
    return names
