"""Schedule plans and rules (data, not code), invitations, link tokens and the outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fit_platform.db.base import Base, enum_column, row_time
from fit_platform.domain.codes import (
    Channel,
    InvitationState,
    Language,
    MessageKind,
    OutboxState,
    ScheduleTrigger,
)


class SchedulePlan(Base):
    """A set of schedule rules: a template for a unit/programme, or an episode's own copy."""

    __tablename__ = "schedule_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    # Set when the plan belongs to one episode (edited for this patient); NULL for templates.
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), unique=True
    )
    quiet_from: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_until: Mapped[str] = mapped_column(String(5), default="08:00")
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)

    rules: Mapped[list[ScheduleRule]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="ScheduleRule.id"
    )


class ScheduleRule(Base):
    __tablename__ = "schedule_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("schedule_plan.id", ondelete="CASCADE"), index=True
    )
    instrument_id: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[ScheduleTrigger] = mapped_column(enum_column(ScheduleTrigger, "trigger"))
    offset_hours: Mapped[int] = mapped_column(Integer, default=0)
    # ISO weekdays 1 (Monday) … 7 as a comma-separated list, for weekly and daily rules.
    weekdays: Mapped[str | None] = mapped_column(String(20))
    send_time: Mapped[str | None] = mapped_column(String(5))
    window_hours: Mapped[int] = mapped_column(Integer, default=48)
    reminder_after_hours: Mapped[int | None] = mapped_column(Integer)
    min_interval_hours: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    plan: Mapped[SchedulePlan] = relationship(back_populates="rules")


class Invitation(Base):
    """One questionnaire the patient is asked to answer within a window."""

    __tablename__ = "invitation"
    # One invitation per episode, instrument and due slot: a second scheduler inserts nothing.
    __table_args__ = (
        UniqueConstraint("episode_id", "instrument_id", "slot_key"),
        Index("ix_invitation_state_due_at", "state", "due_at"),
        Index("ix_invitation_state_expires_at", "state", "expires_at"),
        # The service export counts invitations per episode and period from this index alone
        # (services/export/statements.py): in episode order, with what it counts.
        Index(
            "ix_invitation_episode_due",
            "episode_id",
            "due_at",
            postgresql_include=["state", "sent_at", "non_response_reason"],
        ),
        # The same by due time alone, so an export of one quarter reads that quarter's
        # invitations rather than every invitation of every episode.
        Index(
            "ix_invitation_due",
            "due_at",
            postgresql_include=["episode_id", "state", "sent_at", "non_response_reason"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(64))
    slot_key: Mapped[str] = mapped_column(String(64))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_rule.id", ondelete="SET NULL"))
    state: Mapped[InvitationState] = mapped_column(
        enum_column(InvitationState, "invitation_state"), default=InvitationState.SCHEDULED
    )
    due_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    reminder_at: Mapped[dt.datetime | None]
    # Which reminder `reminder_at` is (its message's dedupe key ends in it): the first, or a
    # later one for a started questionnaire carried ahead of a moved session after its first
    # reminder went (domain/moved_appointments.py).
    reminder_round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    non_response_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    # When the link reached the patient: by a message, or (`shown_in_demo`) on the console.
    sent_at: Mapped[dt.datetime | None]
    # The demo printed this invitation's link instead of sending a message
    # (services/demo_link.py): staff pages say so rather than "Sent".
    shown_in_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opened_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    episode = relationship("Episode")


class InvitationToken(Base):
    """A link token. Only its SHA-256 is stored; the token itself exists only in the message."""

    __tablename__ = "invitation_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    invitation: Mapped[Invitation] = relationship()


class OutboxMessage(Base):
    """A message to send, written in the same transaction as what caused it.

    The row holds no text and no link: the dispatcher renders the fixed text and mints the
    link token at send time, so neither a token nor health information is ever stored here.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_outbox_message_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<invitation id>:<kind>:<sequence>" for invitation messages; unique so nothing doubles.
    dedupe_key: Mapped[str] = mapped_column(String(128))
    # None only for a message to staff (an invitation to set a password, `staff_invite_id`).
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    staff_invite_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_invite.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "message_kind"))
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState, "outbox_state"), default=OutboxState.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    claimed_until: Mapped[dt.datetime | None]
    # The dispatcher holding the claim; results are recorded only by the holder, so a slow
    # dispatcher whose lease ran out cannot overwrite what reconciliation decided.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    sent_at: Mapped[dt.datetime | None]
    # The language to write the message in when it is not the patient's registered one: a
    # one-time code follows the page the patient asked for it from (docs/messaging.md).
    language: Mapped[Language | None] = mapped_column(enum_column(Language, "language"))
    # The unit of the link a one-time code was asked from, whose sender name the code message
    # carries (a patient can have episodes in two units); empty for every other message.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
