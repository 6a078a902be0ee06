"""Staff identities at an outside OpenID Connect provider (HelseID, Entra ID, …)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fit_platform.db.base import Base, row_time


class StaffExternalIdentity(Base):
    """An administrator's link from a provider's subject (`iss` + `sub`) to a staff account.

    A login through the provider opens a session only for a linked, active account: identities
    are never created on the fly, and roles always come from our own `staff_role` rows.
    """

    __tablename__ = "staff_external_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)
    last_login_at: Mapped[dt.datetime | None]
