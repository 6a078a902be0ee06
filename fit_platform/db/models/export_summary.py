"""The export's summary of closed history: invitations and scored responses counted per
episode and calendar month (UTC) up to a watermark, so the service export reads a few rows per
episode instead of every invitation and response (services/export/summary.py builds it,
services/export/sources.py reads it; docs/export.md "Summary of closed history").

Nothing here is a source of truth: the rows are rebuilt from `invitation` and `response`
whenever they could be out of date, and the export adds the rows after the watermark itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fit_platform.db.base import Base


class ExportSummaryState(Base):
    """The watermark (one row, id 1): the summary holds every invitation due before `through`
    with an id up to `invitation_id_max`, and every scored response submitted before `through`
    with an id up to `response_id_max`. Rows after it (in time or in id) are read live."""

    __tablename__ = "export_summary_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    through: Mapped[dt.datetime]
    invitation_id_max: Mapped[int] = mapped_column(Integer)
    response_id_max: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[dt.datetime]


class InvitationMonth(Base):
    """Invitations of an episode due in one month, by final state and non-response reason."""

    __tablename__ = "export_invitation_month"
    __table_args__ = (Index("ix_export_invitation_month_month", "month", "episode_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    month: Mapped[dt.datetime]
    # The stored codes, as in `invitation` (a plain string: the export compares codes only).
    state: Mapped[str] = mapped_column(String(32))
    non_response_reason: Mapped[str | None] = mapped_column(String(500))
    invitations: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer)


class ResponseMonth(Base):
    """Scored responses of an episode on one instrument submitted in one month: how many, the
    sum of their totals, and the first and the last of them (time, id, total)."""

    __tablename__ = "export_response_month"
    __table_args__ = (
        Index("ix_export_response_month_instrument", "instrument_id", "episode_id", "month"),
        Index("ix_export_response_month_episode", "episode_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(64))
    month: Mapped[dt.datetime]
    responses: Mapped[int] = mapped_column(Integer)
    total_sum: Mapped[float] = mapped_column(Float)
    first_at: Mapped[dt.datetime]
    first_id: Mapped[int] = mapped_column(Integer)
    first_total: Mapped[float] = mapped_column(Float)
    last_at: Mapped[dt.datetime]
    last_id: Mapped[int] = mapped_column(Integer)
    last_total: Mapped[float] = mapped_column(Float)


class ResponseSpan(Base):
    """All the summarised scored responses of an episode on one instrument: how many, and the
    first and the last of them. The export's outcome figures read these when the range ends
    after the watermark (the usual case), a row per episode and instrument instead of one
    per month."""

    __tablename__ = "export_response_span"
    __table_args__ = (
        Index("ix_export_response_span_instrument", "instrument_id", "episode_id"),
        Index("ix_export_response_span_episode", "episode_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(64))
    responses: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[dt.datetime]
    first_id: Mapped[int] = mapped_column(Integer)
    first_total: Mapped[float] = mapped_column(Float)
    last_at: Mapped[dt.datetime]
    last_id: Mapped[int] = mapped_column(Integer)
    last_total: Mapped[float] = mapped_column(Float)
