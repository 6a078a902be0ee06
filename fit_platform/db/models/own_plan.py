"""The patient's own plan: crisis-plan versions and standing-choice events (both append-only,
see `db.append_only`, except for an erasure: `ErasureInProgress`). The rules for reading them
are in `domain/own_plan.py`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fit_platform.db.base import Base, enum_column, row_time
from fit_platform.domain.own_plan import ChoiceEventKind, ChoiceKind, RecordedBy


class CrisisPlanVersion(Base):
    """One saved version of a patient's crisis plan; the newest is the plan."""

    __tablename__ = "crisis_plan_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    warning_signs: Mapped[str] = mapped_column(Text, default="")
    what_helps: Mapped[str] = mapped_column(Text, default="")
    who_to_call: Mapped[str] = mapped_column(Text, default="")
    staff_should: Mapped[str] = mapped_column(Text, default="")
    staff_should_not: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[RecordedBy] = mapped_column(enum_column(RecordedBy, "recorded_by"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # The version whose words the patient took back as her plan; NULL when written.
    restored_from_id: Mapped[int | None] = mapped_column(ForeignKey("crisis_plan_version.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)


class StandingChoiceEvent(Base):
    """One step in the life of a standing choice. ``choice_id`` is the id of the event that
    first recorded it, so a choice's history is every row with that ``choice_id``."""

    __tablename__ = "standing_choice_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    # NULL on the first event: that row's own id is the choice id (an insert cannot know it
    # and append-only rows are never updated).
    choice_id: Mapped[int | None] = mapped_column(ForeignKey("standing_choice_event.id"))
    event: Mapped[ChoiceEventKind] = mapped_column(
        enum_column(ChoiceEventKind, "standing_choice_event_kind")
    )
    kind: Mapped[ChoiceKind] = mapped_column(enum_column(ChoiceKind, "standing_choice_kind"))
    text: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[RecordedBy] = mapped_column(enum_column(RecordedBy, "recorded_by"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=row_time)


class ErasureInProgress(Base):
    """A row only inside the transaction that erases a patient's feedback data
    (`services/patient_data.erase_feedback`): while it is there, the database lets that
    patient's crisis-plan versions and standing-choice events be deleted, and nothing else
    (`db.append_only`). Inserted and deleted in the same transaction, so no other
    transaction ever sees it."""

    __tablename__ = "erasure_in_progress"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True)
