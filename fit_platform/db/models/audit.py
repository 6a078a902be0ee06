"""The append-only access log: who read which patient's data, when and why."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fit_platform.db.base import Base, enum_column, utcnow
from fit_platform.domain.codes import Role


class AccessLog(Base):
    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    action: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ExportAudit(Base):
    """One row per export downloaded or written (append-only): who, what, when.

    ``staff_id`` is the service developer or administrator on the web; None when the export
    was written by the `fit-platform export` command (``actor`` = 'command')."""

    __tablename__ = "export_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    actor: Mapped[str] = mapped_column(String(16))
    file_format: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    rows: Mapped[int] = mapped_column(Integer)
    codebook_version: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
