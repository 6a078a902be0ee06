"""Answers, their scores, signals and the samvalg (shared decision) record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fit_platform.db.base import Base, enum_column, row_time
from fit_platform.domain.codes import CommentSource, CommentVisibility, Language, ResponseStatus

# A response the export counts: submitted, scorable, with a total (the query says the same).
SCORED = "status = 'submitted' AND scorable IS TRUE AND total IS NOT NULL"


class Response(Base):
    """A patient's answers to one instrument, scored by the rule version in force at the time."""

    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_episode_instrument", "episode_id", "instrument_id"),
        # The service export's scores (services/export/statements.py): every scored response
        # in the order the first-and-latest window reads them, with its total, so PostgreSQL
        # reads this index alone (no table, no sort). Partial: only what the export counts.
        Index(
            "ix_response_scored",
            "instrument_id",
            "episode_id",
            "submitted_at",
            "id",
            postgresql_include=["total"],
            postgresql_where=text(SCORED),
            sqlite_where=text(SCORED),
        ),
        # The same scores by submission time, so the alliance figures of one quarter read
        # that quarter's scores.
        Index(
            "ix_response_scored_submitted",
            "submitted_at",
            postgresql_include=["instrument_id", "episode_id", "total"],
            postgresql_where=text(SCORED),
            sqlite_where=text(SCORED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One response per invitation: a double submit or a second tab finds the same row.
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[str] = mapped_column(String(32))
    language: Mapped[Language] = mapped_column(enum_column(Language, "language"))
    status: Mapped[ResponseStatus] = mapped_column(
        enum_column(ResponseStatus, "response_status"), default=ResponseStatus.IN_PROGRESS
    )
    started_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    submitted_at: Mapped[dt.datetime | None]
    scoring_version: Mapped[str | None] = mapped_column(String(32))
    scorable: Mapped[bool | None] = mapped_column(Boolean)
    total: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(32))
    risk: Mapped[bool] = mapped_column(Boolean, default=False)
    # Subscales, the reason when not scorable, and anything else the scorer returned.
    score_details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # No longer written: comments are `ResponseComment` rows (several per response, never
    # overwritten). The columns stay because dropping them rebuilds `response` on SQLite,
    # and that rebuild would cascade-delete the item answers.
    comment: Mapped[str | None] = mapped_column(Text)
    comment_visibility: Mapped[CommentVisibility] = mapped_column(
        enum_column(CommentVisibility, "comment_visibility"), default=CommentVisibility.THERAPIST
    )

    answers: Mapped[list[ItemAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class ResponseComment(Base):
    """A comment the patient wrote for their therapist about one response; never overwritten."""

    __tablename__ = "response_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    # Denormalised from the response so the pre-session view reads an episode's words at once.
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[CommentSource] = mapped_column(enum_column(CommentSource, "comment_source"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)


class FinishDraft(Base):
    """What the patient typed on the check-your-answers page before going back to change an
    answer: shown again there, never to anyone else, deleted when the questionnaire is sent
    and by the hourly clean-up once it has closed unsent (services/finish_draft.py)."""

    __tablename__ = "finish_draft"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    comment_to: Mapped[str | None] = mapped_column(String(16))
    saved_at: Mapped[dt.datetime] = mapped_column(default=row_time)


class ItemAnswer(Base):
    __tablename__ = "item_answer"
    __table_args__ = (UniqueConstraint("response_id", "link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    link_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    answered_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    # The language the question was shown in when this answer was given or last changed: a
    # patient may switch language mid-questionnaire. None for answers saved before it was
    # kept; those are in the response's language.
    language: Mapped[Language | None] = mapped_column(enum_column(Language, "language"))

    response: Mapped[Response] = relationship(back_populates="answers")


class Signal(Base):
    """A clinical signal for the therapist; a risk signal must be acknowledged."""

    __tablename__ = "signal"
    # The same rule firing again for the same source does not raise a second signal.
    __table_args__ = (
        UniqueConstraint("episode_id", "code", "source_key"),
        Index("ix_signal_open", "episode_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    raised_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    acknowledge_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolve_note: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[dt.datetime | None]


class SharedDecision(Base):
    """Samvalg: options discussed, what matters to the patient, the decision, when to look again."""

    __tablename__ = "shared_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), index=True
    )
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signal.id", ondelete="SET NULL"))
    options_discussed: Mapped[str] = mapped_column(Text)
    what_matters: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    visible_to_patient: Mapped[bool] = mapped_column(Boolean, default=True)
    # A correction rewrites the record and keeps the words it replaced in
    # `SharedDecisionEarlier`; `version` counts the texts, so a correction written against an
    # older one is refused instead of overwriting a colleague's (`services/samvalg_changes.py`).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    corrected_at: Mapped[dt.datetime | None] = mapped_column()
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Withdrawn: written in error (on the wrong patient, say). Kept for the record, shown to
    # staff as withdrawn without its words, never to the patient, and not looked at again.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column()
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


class SharedDecisionEarlier(Base):
    """The words of a samvalg record before a correction replaced them."""

    __tablename__ = "shared_decision_earlier"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("shared_decision.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    options_discussed: Mapped[str] = mapped_column(Text)
    what_matters: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    visible_to_patient: Mapped[bool] = mapped_column(Boolean)
    # Who wrote these words and when (the record's first author, or an earlier correction's).
    written_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    written_at: Mapped[dt.datetime] = mapped_column()
    replaced_at: Mapped[dt.datetime] = mapped_column()


class ServiceFeedback(Base):
    """A comment the patient chose to send to the service only: no link to the patient at all."""

    __tablename__ = "service_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL")
    )
    instrument_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # Month only: a precise time could be matched against response times to find the patient.
    period: Mapped[str] = mapped_column(String(7))


class OneTimeCode(Base):
    """A short-lived code sent to the patient's phone or e-mail to open the progress view."""

    __tablename__ = "one_time_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
