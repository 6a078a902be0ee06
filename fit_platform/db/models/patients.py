"""Patients, their treatment episodes, appointments, goals and consent history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
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
from fit_platform.db.models.organisation import Programme, Staff, Unit
from fit_platform.domain.codes import (
    Actor,
    AppointmentStatus,
    Channel,
    ConsentEventKind,
    ConsentState,
    EpisodeStatus,
    Language,
)


class Patient(Base):
    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # Identifier from the electronic patient record (EPR); never leaves the platform in exports.
    # Unique within a unit (checked at registration), not across units: a therapist must not
    # learn that a record id is registered in a unit they cannot see.
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # HMAC-SHA256 (hex) of the national identity number under FIT_PATIENT_ID_HASH_KEY, so an
    # ID-porten login (`pid` claim) finds the patient; the number itself is never stored
    # (docs/identity.md, docs/privacy.md). Not unique: one person may have a row in two units.
    national_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    preferred_language: Mapped[Language] = mapped_column(
        enum_column(Language, "language"), default=Language.BOKMAAL
    )
    preferred_channel: Mapped[Channel] = mapped_column(
        enum_column(Channel, "channel"), default=Channel.SMS
    )
    # Current consent state, derived from the append-only consent events and kept here so
    # every send path can check it with one indexed read.
    consent_state: Mapped[ConsentState] = mapped_column(
        enum_column(ConsentState, "consent_state"), default=ConsentState.ACTIVE
    )
    paused_until: Mapped[dt.date | None] = mapped_column(Date)
    # Which of the patient's browser sessions still hold: a browser's cookie keeps the number
    # it was opened under, and logging out or finishing a questionnaire counts it up, so every
    # copy of an earlier cookie is refused at once (docs/security.md). Read with the link.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    # When an administrator erased the patient's feedback data (services/patient_data.py);
    # pages say so instead of showing an empty history without a reason.
    feedback_erased_at: Mapped[dt.datetime | None]

    episodes: Mapped[list[Episode]] = relationship(back_populates="patient")


class Episode(Base):
    """One course of treatment for a patient in a unit."""

    __tablename__ = "episode"
    __table_args__ = (Index("ix_episode_status_unit", "status", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    status: Mapped[EpisodeStatus] = mapped_column(
        enum_column(EpisodeStatus, "episode_status"), default=EpisodeStatus.ACTIVE
    )
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    # The patient's own days in a day programme, ISO weekdays "1,3" (1 = Monday), chosen with
    # the therapist or by the patient within the programme's days (services/own_days.py);
    # NULL = every programme day.
    own_weekdays: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)

    patient: Mapped[Patient] = relationship(back_populates="episodes")
    unit: Mapped[Unit] = relationship()
    programme: Mapped[Programme | None] = relationship()
    therapists: Mapped[list[EpisodeTherapist]] = relationship(
        back_populates="episode", cascade="all, delete-orphan"
    )
    appointments: Mapped[list[Appointment]] = relationship(
        back_populates="episode", order_by="Appointment.starts_at"
    )


class EpisodeTherapist(Base):
    """Who may see an episode: its responsible therapist(s) and anyone it is shared with."""

    __tablename__ = "episode_therapist"

    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    responsible: Mapped[bool] = mapped_column(Boolean, default=True)

    episode: Mapped[Episode] = relationship(back_populates="therapists")
    staff: Mapped[Staff] = relationship()


class Appointment(Base):
    __tablename__ = "appointment"
    # Re-importing the same file must change nothing: imported rows carry the source's id.
    __table_args__ = (
        UniqueConstraint("episode_id", "external_ref"),
        Index("ix_appointment_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None]
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus, "appointment_status"), default=AppointmentStatus.PLANNED
    )
    external_ref: Mapped[str | None] = mapped_column(String(128))
    # The therapist's mark: the course's last session, which "Before the last appointment"
    # asks before (services/appointments.py `mark_last`; one per episode at most).
    is_last: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[dt.datetime] = mapped_column(default=row_time, onupdate=row_time)

    episode: Mapped[Episode] = relationship(back_populates="appointments")


class PatientGoal(Base):
    """The patient's own words on what matters to them; kept and editable over time."""

    __tablename__ = "patient_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    updated_at: Mapped[dt.datetime] = mapped_column(default=row_time, onupdate=row_time)
    archived_at: Mapped[dt.datetime | None]


class SessionTopic(Base):
    """What the patient wants to talk about next time."""

    __tablename__ = "session_topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)


class ConsentEvent(Base):
    """Append-only history of every consent choice (see `db.append_only`)."""

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    kind: Mapped[ConsentEventKind] = mapped_column(
        enum_column(ConsentEventKind, "consent_event_kind")
    )
    actor: Mapped[Actor] = mapped_column(enum_column(Actor, "actor"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    paused_until: Mapped[dt.date | None] = mapped_column(Date)
    channel: Mapped[Channel | None] = mapped_column(enum_column(Channel, "channel"))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
