"""Append-only audit trails: who read which patient's data (access log), which exports were
written, and every change an administrator made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fit_platform.db.base import Base, enum_column, row_time
from fit_platform.domain.codes import Role


class AccessLog(Base):
    __tablename__ = "access_log"
    # By time alone for retention: the clean-up counts rows past the limit every hour and the
    # owner's purge deletes them (services/retention.py).
    __table_args__ = (
        Index("ix_access_log_patient_at", "patient_id", "at"),
        Index("ix_access_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    action: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=row_time)


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
    at: Mapped[dt.datetime] = mapped_column(default=row_time)


class AdminAudit(Base):
    """One row per change made by an administrator (append-only): who, what, before/after, when.

    ``staff_id`` is the administrator on the web; None when a command made the change
    (``actor`` = 'command'). ``before`` and ``after`` are JSON objects of the changed fields
    only, never a password, a secret or a patient's answer (services/admin_audit.py)."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_target", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    actor: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(default=row_time, index=True)
