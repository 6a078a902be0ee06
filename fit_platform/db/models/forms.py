"""Submitted forms: creating forms, so a repeated POST creates nothing new, and the typing of
a form that arrived after the staff session had ended."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
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


class KeptTyping(Base):
    """What a staff member had typed in a form that reached the server after their session
    had ended (`services.kept_typing`): given back in the same form after they log in again,
    then deleted; the daily clean-up deletes what nobody came back for. Holds patient text,
    so it lives no longer than the working day it was typed in."""

    __tablename__ = "kept_typing"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    page: Mapped[str] = mapped_column(String(300))  # the form's page, where it is given back
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    kept_at: Mapped[dt.datetime] = mapped_column(default=row_time, index=True)
