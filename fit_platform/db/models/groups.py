"""Groups in a day programme: the group, its therapists and members, its sessions and who
attended each. The rules are in `domain/groups.py`; the use cases in `services/group_*.py`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fit_platform.db.base import Base, row_time


class TherapyGroup(Base):
    """A group in a unit (optionally one programme of it), with the form its members get after
    each session they attend."""

    __tablename__ = "therapy_group"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    name: Mapped[str] = mapped_column(String(200))
    instrument_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)

    therapists: Mapped[list[GroupTherapist]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )


class GroupTherapist(Base):
    """A therapist who leads the group: sees its members, records its sessions, reads its
    aggregates (never a member's individual answer unless also that member's own therapist)."""

    __tablename__ = "group_therapist"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("therapy_group.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True, index=True)

    group: Mapped[TherapyGroup] = relationship(back_populates="therapists")


class GroupMember(Base):
    """A patient in the group, through their episode in the group's unit. Removing a member
    sets ``removed_at`` (their past attendance stays); adding them again clears it."""

    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "episode_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("therapy_group.id", ondelete="CASCADE"), index=True
    )
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"))
    added_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    removed_at: Mapped[dt.datetime | None]


class GroupSession(Base):
    """One meeting of the group, recorded with who attended."""

    __tablename__ = "group_session"
    # One meeting of a group at one time: a double submit of the form records it once.
    __table_args__ = (UniqueConstraint("group_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("therapy_group.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)


class GroupAttendance(Base):
    """A member who attended a session, and the invitation to the group form it gave (None
    when consent did not allow one or the form's window had closed)."""

    __tablename__ = "group_attendance"

    group_session_id: Mapped[int] = mapped_column(
        ForeignKey("group_session.id", ondelete="CASCADE"), primary_key=True
    )
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), primary_key=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True
    )
