"""Every export written leaves an append-only audit row: who, what, when.

The web downloads record the service developer or administrator; the `fit-platform export`
command records 'command' (it runs as the service account that schedules it). The row holds the
choice (format, period, range, unit) and how many rows went out, never a figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import ExportAudit
from fit_platform.services.export_files import CODEBOOK_VERSION


@dataclass(frozen=True)
class ExportRecord:
    staff_id: int | None
    actor: str
    file_format: str
    period: str
    start: dt.date
    end: dt.date
    unit_id: int | None
    rows: int
    at: dt.datetime


def record_export(
    db: Database,
    *,
    staff_id: int | None,
    file_format: str,
    period: str,
    start: dt.date,
    end: dt.date,
    unit_id: int | None,
    rows: int,
    now: dt.datetime,
) -> None:
    """Append the audit row for one export (its own transaction)."""
    with db.transaction(now=now) as session:
        session.add(
            ExportAudit(
                staff_id=staff_id,
                actor="staff" if staff_id is not None else "command",
                file_format=file_format,
                period=period,
                start=start,
                end=end,
                unit_id=unit_id,
                rows=rows,
                codebook_version=CODEBOOK_VERSION,
                at=now,
            )
        )


def export_history(db: Database, limit: int = 100) -> list[ExportRecord]:
    """The newest exports first."""
    with db.session() as session:
        found = session.scalars(
            select(ExportAudit).order_by(ExportAudit.at.desc(), ExportAudit.id.desc()).limit(limit)
        ).all()
        return [
            ExportRecord(
                row.staff_id,
                row.actor,
                row.file_format,
                row.period,
                row.start,
                row.end,
                row.unit_id,
                row.rows,
                row.at,
            )
            for row in found
        ]
