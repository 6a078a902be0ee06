"""Units (clinics and day programmes), programmes and staff with their roles and sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fit_platform.db.base import Base, enum_column, row_time
from fit_platform.domain.codes import Language, Role, UnitKind


class Unit(Base):
    """A DPS outpatient clinic (poliklinikk) or a day programme (dagtilbud)."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind, "unit_kind"))
    phone: Mapped[str | None] = mapped_column(String(32))
    # The opening hours shown to patients, in bokmål; nynorsk and English are optional, and a
    # page in a language without its own text shows the bokmål one (domain/unit_texts.py).
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    opening_hours_nn: Mapped[str | None] = mapped_column(String(200))
    opening_hours_en: Mapped[str | None] = mapped_column(String(200))
    # The name text messages and e-mails use instead of `name`: a lock screen shows it to
    # anyone near the phone. None: a neutral default (messaging/texts.py).
    message_name: Mapped[str | None] = mapped_column(String(40))
    # Local times ("HH:MM") between which no questionnaire or reminder leaves (a one-time code
    # the patient asked for goes at once; docs/messaging.md).
    # The same start and end means no quiet hours.
    quiet_from: Mapped[str] = mapped_column(String(5), default="21:00", server_default="21:00")
    quiet_until: Mapped[str] = mapped_column(String(5), default="08:00", server_default="08:00")
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    # Set when an administrator archives the unit: it takes no new patients and sends nothing
    # new; its history stays (docs/administration.md).
    archived_at: Mapped[dt.datetime | None]

    programmes: Mapped[list[Programme]] = relationship(back_populates="unit")


class UnitInstrument(Base):
    """An instrument a unit has enabled: only these are offered and accepted on its schedules.

    A row is the switch (present = enabled); every change is recorded in the admin audit.
    """

    __tablename__ = "unit_instrument"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True
    )
    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled_at: Mapped[dt.datetime] = mapped_column(default=row_time)


class Programme(Base):
    """A treatment programme inside a unit; exports and schedule templates are per programme."""

    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # An archived programme takes no new episodes; its episodes and history stay.
    archived_at: Mapped[dt.datetime | None]

    unit: Mapped[Unit] = relationship(back_populates="programmes")


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Sealed with FIT_TOTP_ENCRYPTION_KEY (services/secret_box.py), never in clear.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    # The last accepted TOTP time step, so a code can never be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    preferred_language: Mapped[Language] = mapped_column(
        enum_column(Language, "language"), default=Language.BOKMAAL
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Failed passwords or codes in a row (within the throttling window) and the last one's time;
    # they set the wait before the next attempt is checked (domain/login_throttle.py). The
    # count is only ever changed by one atomic UPDATE, so parallel attempts all count.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )


class StaffRole(Base):
    """A role held by a staff member, in one unit or (unit_id NULL) across the service."""

    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("staff_id", "role", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))

    staff: Mapped[Staff] = relationship(back_populates="roles")
    unit: Mapped[Unit | None] = relationship()


class LoginFailureByAddress(Base):
    """Failed logins from one client address over all accounts, for throttling.

    The address is kept only as a SHA-256, so the table is no list of who tried from where.
    """

    __tablename__ = "login_failure_by_address"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime]


class StaffRecoveryCode(Base):
    """A single-use code that stands in for the second factor (a lost phone).

    Ten are shown once at enrolment; only a SHA-256 is kept (the codes are 80 random bits, so
    a fast hash is enough). `used_at` is set by one conditional UPDATE, so a code works once.
    """

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    used_at: Mapped[dt.datetime | None]


class StaffInvite(Base):
    """A single-use, expiring set-password link for a new staff member.

    The row is written by the administrator with no token; the dispatcher mints the token when
    it sends the e-mail and stores only its SHA-256 here, so the raw token exists only in the
    message (services/staff_admin.py). Sending again replaces the hash: only the newest link
    works. ``used_at`` is set by one conditional UPDATE, so a link sets a password once.
    """

    __tablename__ = "staff_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class StaffSession(Base):
    """A server-side login session; revoking it logs the user out everywhere at once."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    # Only a hash of the session id is stored, so a database dump cannot be used to log in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    staff: Mapped[Staff] = relationship()
