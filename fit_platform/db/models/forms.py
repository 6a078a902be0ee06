"""Submitted creating forms, so a repeated POST of the same form creates nothing new."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fit_platform.db.base import Base, row_time


class FormSubmission(Base):
    """One row per creating form that was submitted (see `services.form_once`).

    `key_hash` is the SHA-256 of the form's kind, its owner (staff member or invitation) and the
    one-time value the page put in the form; its unique index is what lets exactly one of six
    concurrent POSTs through. `result_id` is the row the first POST created, so a repeat can
    answer with the same result. No text, no patient: rows can be deleted after a day.
    """

    __tablename__ = "form_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    result_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time, index=True)
