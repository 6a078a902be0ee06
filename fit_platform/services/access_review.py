"""Access review (Normen): who read which patient's data, searched, flagged and exported.

For administrators (`/admin/access-log`). Rows show ids, the reader's name and role, the unit,
the patient's record number and the action: never what was shown. A read is **flagged** when
it was not made as one of the patient's own therapists at the time: read through another role
(a unit lead reading the unit's patients), or as a therapist with no episode of the patient
that was open on the day of the read (started on or before, not ended before; days in UTC).
Therapist links to an episode have no history, so a therapist taken off an episode after
reading it is flagged too: the flag asks for a look, it is not a verdict.

The CSV export for the privacy officer holds the same columns and is itself audited (one
admin audit row with the filters and the row count).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Select, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, Episode, EpisodeTherapist, Patient, Staff, Unit
from fit_platform.domain.codes import Role
from fit_platform.domain.reading_sessions import Read, ReadingSession, reading_sessions
from fit_platform.services.admin_audit import record_admin_change

log = logging.getLogger(__name__)

EXPORT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class AccessQuery:
    """The filters; dates are local days (inclusive) in the service's time zone."""

    patient_ref: str | None = None  # the EPR record number, or "#<id>" without one
    staff_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    flagged_only: bool = False

    def as_audit(self) -> dict[str, object]:
        return {
            "patient": self.patient_ref,
            "staff_id": self.staff_id,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "flagged_only": self.flagged_only,
        }


@dataclass(frozen=True)
class AccessRow:
    id: int
    at: dt.datetime
    staff_id: int
    staff_name: str
    role: Role
    unit_name: str | None
    patient_ref: str
    action: str
    flagged: bool


def patient_ref(patient_id: int, external_id: str | None) -> str:
    return external_id or f"#{patient_id}"


def _read_day(dialect: str) -> object:
    if dialect == "sqlite":
        return func.date(AccessLog.at)
    return cast(func.timezone("UTC", AccessLog.at), Date)


def _flagged(dialect: str) -> object:
    day = _read_day(dialect)
    own = exists(
        select(EpisodeTherapist.episode_id)
        .join(Episode, Episode.id == EpisodeTherapist.episode_id)
        .where(
            Episode.patient_id == AccessLog.patient_id,
            EpisodeTherapist.staff_id == AccessLog.staff_id,
            Episode.started_on <= day,
            or_(Episode.ended_on.is_(None), Episode.ended_on >= day),
        )
    )
    return or_(AccessLog.role != Role.THERAPIST, ~own)


def _query(dialect: str, query: AccessQuery, zone: ZoneInfo) -> Select[*tuple[Any, ...]]:
    flagged = _flagged(dialect)
    statement = (
        select(
            AccessLog.id,
            AccessLog.at,
            AccessLog.staff_id,
            Staff.display_name,
            AccessLog.role,
            Unit.name,
            AccessLog.patient_id,
            Patient.external_id,
            AccessLog.action,
            case((flagged, True), else_=False).label("flagged"),  # type: ignore[arg-type]
        )
        .join(Staff, Staff.id == AccessLog.staff_id)
        .join(Patient, Patient.id == AccessLog.patient_id)
        .outerjoin(Unit, Unit.id == AccessLog.unit_id)
    )
    conditions = []
    ref = (query.patient_ref or "").strip()
    if ref:
        if ref.startswith("#") and ref[1:].isdigit() and len(ref) < 11:
            conditions.append(AccessLog.patient_id == int(ref[1:]))
        else:
            conditions.append(Patient.external_id == ref)
    if query.staff_id is not None:
        conditions.append(AccessLog.staff_id == query.staff_id)
    if query.date_from is not None:
        start = dt.datetime.combine(query.date_from, dt.time(), zone)
        conditions.append(AccessLog.at >= start.astimezone(dt.UTC))
    if query.date_to is not None:
        end = dt.datetime.combine(query.date_to + dt.timedelta(days=1), dt.time(), zone)
        conditions.append(AccessLog.at < end.astimezone(dt.UTC))
    if query.flagged_only:
        conditions.append(flagged)  # type: ignore[arg-type]
    return statement.where(and_(*conditions)) if conditions else statement


# The columns of `_query`, in order (the unit is outer-joined, so it may be missing).
_Values = tuple[int, dt.datetime, int, str, Role, str | None, int, str | None, str, bool]


def _row(values: _Values) -> AccessRow:
    (id_, at, staff_id, name, role, unit, patient_id, external_id, action, flagged) = values
    return AccessRow(
        id=int(id_),
        at=at,
        staff_id=int(staff_id),
        staff_name=str(name),
        role=Role(role),
        unit_name=unit,
        patient_ref=patient_ref(int(patient_id), external_id),
        action=str(action),
        flagged=bool(flagged),
    )


def search_access(
    db: Database, query: AccessQuery, zone: ZoneInfo, *, limit: int, offset: int
) -> tuple[list[AccessRow], int]:
    """One page of matching reads, newest first, and how many match in all."""
    with db.session() as session:
        statement = _query(db.dialect, query, zone)
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = session.execute(
            statement.order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(limit).offset(offset)
        ).all()
    return [_row(tuple(row)) for row in rows], total


def export_access(
    db: Database, admin_id: int, query: AccessQuery, zone: ZoneInfo, now: dt.datetime
) -> list[AccessRow]:
    """Every matching read (up to EXPORT_MAX_ROWS), newest first, for the CSV export; the
    export is recorded in the admin audit trail in the same transaction."""
    with db.transaction(now=now) as session:
        rows = [
            _row(tuple(row))
            for row in session.execute(
                _query(db.dialect, query, zone)
                .order_by(AccessLog.at.desc(), AccessLog.id.desc())
                .limit(EXPORT_MAX_ROWS)
            )
        ]
        record_admin_change(
            session,
            staff_id=admin_id,
            action="access_log_exported",
            target_kind="access_log",
            target_id=None,
            after={**query.as_audit(), "rows": len(rows)},
            at=now,
        )
    log.info(
        "access log exported",
        extra={"event": "access_log_exported", "staff_id": admin_id, "rows": len(rows)},
    )
    return rows


def readers(db: Database) -> list[tuple[int, str]]:
    """Staff who have read any patient's data (for the filter), by name."""
    with db.session() as session:
        rows = session.execute(
            select(Staff.id, Staff.display_name)
            .where(Staff.id.in_(select(AccessLog.staff_id).distinct()))
            .order_by(func.lower(Staff.display_name), Staff.id)
        ).all()
    return [(staff_id, name) for staff_id, name in rows]


def patient_reading_sessions(
    db: Database, patient_id: int, *, limit: int = 20, scan: int = 2000
) -> list[ReadingSession]:
    """The patient's own list: one row per reading session (domain/reading_sessions.py),
    newest first, built from the latest `scan` reads."""
    with db.session() as session:
        rows = _latest_reads(session, patient_id, scan)
    return reading_sessions(rows)[:limit]


def _latest_reads(session: Session, patient_id: int, scan: int) -> list[Read]:
    rows = session.execute(
        select(AccessLog.staff_id, AccessLog.role, Unit.name, AccessLog.action, AccessLog.at)
        .outerjoin(Unit, Unit.id == AccessLog.unit_id)
        .where(AccessLog.patient_id == patient_id)
        .order_by(AccessLog.at.desc(), AccessLog.id.desc())
        .limit(scan)
    ).all()
    return [Read(staff_id, role, unit, action, at) for staff_id, role, unit, action, at in rows]
