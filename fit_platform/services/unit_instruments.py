"""Which instruments each unit has enabled, and switching one on or off.

A unit's schedule forms offer and accept only the instruments it has enabled that may be
scheduled at all (`domain/schedulability.py`). A new unit starts with every schedulable
instrument of the library enabled (`enable_all_schedulable`), as existing units did when the
table came (see its migration). Switching is an administrator's change: it writes an admin
audit row in the same transaction. Switching an instrument off does not touch a rule that
already names it: the therapist sees the rule and changes it; the form then refuses to save
it with that instrument. The scheduler stops only for draft, retired or unknown instruments.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, Unit, UnitInstrument
from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.domain.schedulability import (
    NotSchedulable,
    why_not_on_a_schedule,
    why_not_schedulable,
)
from fit_platform.services.admin_audit import record_admin_change

log = logging.getLogger(__name__)


class UnitNotFound(LookupError):
    """No such unit."""


class CannotEnable(ValueError):
    """The instrument may not be scheduled anywhere; `reason` says why."""

    def __init__(self, reason: NotSchedulable) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class UnitInstruments:
    unit_id: int
    unit_name: str
    enabled: frozenset[str]


def enabled_ids(session: Session, unit_id: int) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(UnitInstrument.instrument_id).where(UnitInstrument.unit_id == unit_id)
        )
    )


def schedulable_for_unit(
    session: Session, unit_id: int, library: Mapping[str, Instrument] | None = None
) -> list[Instrument]:
    """The instruments a schedule rule of this unit may name, by id."""
    library = default_instruments() if library is None else library
    enabled = enabled_ids(session, unit_id)
    return [
        instrument
        for instrument_id, instrument in sorted(library.items())
        if instrument_id in enabled and why_not_schedulable(instrument) is None
    ]


def for_schedules_of_unit(session: Session, unit_id: int) -> list[Instrument]:
    """What a schedule rule (an episode's or a template's) of this unit may name: the unit's
    schedulable instruments without the group forms, which only a group session sends."""
    return [i for i in schedulable_for_unit(session, unit_id) if why_not_on_a_schedule(i) is None]


def schedulable_for_episode(db: Database, episode_id: int) -> list[Instrument]:
    """`for_schedules_of_unit` for the episode's unit. A unit setting, not patient data: no
    access-log row; the page checks access to the episode itself before showing anything."""
    with db.session() as session:
        unit_id = session.scalar(select(Episode.unit_id).where(Episode.id == episode_id))
        if unit_id is None:
            return []
        return for_schedules_of_unit(session, unit_id)


def enable_all_schedulable(session: Session, unit_id: int, now: dt.datetime | None = None) -> None:
    """Enable every schedulable instrument for a new unit (within the caller's transaction).
    Whoever creates a unit calls this, so a new unit can schedule at once."""
    have = enabled_ids(session, unit_id)
    for instrument_id, instrument in sorted(default_instruments().items()):
        if instrument_id not in have and why_not_schedulable(instrument) is None:
            row = UnitInstrument(unit_id=unit_id, instrument_id=instrument_id)
            if now is not None:
                row.enabled_at = now
            session.add(row)
    session.flush()


def units_with_instruments(db: Database) -> list[UnitInstruments]:
    """Every unit with the instruments it has enabled (for the admin page), by name."""
    with db.session() as session:
        units = session.execute(select(Unit.id, Unit.name).order_by(Unit.name, Unit.id)).all()
        rows = session.execute(select(UnitInstrument.unit_id, UnitInstrument.instrument_id)).all()
    enabled: dict[int, set[str]] = {unit.id: set() for unit in units}
    for row in rows:
        enabled.setdefault(row.unit_id, set()).add(row.instrument_id)
    return [UnitInstruments(unit.id, unit.name, frozenset(enabled[unit.id])) for unit in units]


def set_enabled(
    db: Database,
    *,
    staff_id: int,
    unit_id: int,
    instrument_id: str,
    enabled: bool,
    now: dt.datetime,
) -> bool:
    """Enable or disable one instrument for one unit; True when something changed.

    Who may call it: an administrator. Enabling an instrument that may not be scheduled
    (draft, retired, unknown) raises `CannotEnable`; disabling is always allowed. A change
    writes one admin audit row (`unit_instrument_enabled` / `unit_instrument_disabled`) in the
    same transaction; asking for the state the unit already has changes and records nothing.
    """
    if enabled:
        reason = why_not_schedulable(default_instruments().get(instrument_id))
        if reason is not None:
            raise CannotEnable(reason)
    with db.transaction(now=now) as session:
        if session.get(Unit, unit_id) is None:
            raise UnitNotFound(unit_id)
        current = session.get(UnitInstrument, (unit_id, instrument_id))
        if (current is not None) == enabled:
            return False
        if enabled:
            session.add(
                UnitInstrument(unit_id=unit_id, instrument_id=instrument_id, enabled_at=now)
            )
        else:
            session.execute(
                delete(UnitInstrument).where(
                    UnitInstrument.unit_id == unit_id,
                    UnitInstrument.instrument_id == instrument_id,
                )
            )
        record_admin_change(
            session,
            staff_id=staff_id,
            action="unit_instrument_enabled" if enabled else "unit_instrument_disabled",
            target_kind="unit",
            target_id=unit_id,
            before={"instrument": instrument_id, "enabled": not enabled},
            after={"instrument": instrument_id, "enabled": enabled},
            at=now,
        )
    log.info(
        "unit instrument switched",
        extra={
            "event": "unit_instrument_enabled" if enabled else "unit_instrument_disabled",
            "unit_id": unit_id,
            "instrument_id": instrument_id,
            "staff_id": staff_id,
        },
    )
    return True
