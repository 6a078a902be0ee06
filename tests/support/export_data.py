"""A small known dataset for the service-developer export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fit_platform.db import Database
from fit_platform.db.models import Episode, Programme, Signal, Staff, Unit
from fit_platform.domain.codes import InvitationState, Role
from fit_platform.domain.signals import SignalCode
from tests.support.factories import World, add_history, make_invitation, make_staff, make_unit
from tests.support.factories import make_world as _make_world

JUNE = dt.datetime(2026, 6, 10, 8, tzinfo=dt.UTC)


def make_programme(db: Database, unit: Unit, code: str) -> int:
    with db.transaction() as session:
        programme = Programme(unit_id=unit.id, code=code, name=f"Programme {code}")
        session.add(programme)
        session.flush()
        return programme.id


def add_patient(
    db: Database,
    unit: Unit,
    therapist: Staff,
    programme_id: int | None,
    totals: list[int],
    *,
    answered: bool = True,
) -> World:
    """A patient in the programme with a PHQ-9 history and two June invitations (one answered)."""
    world = _make_world(db, unit=unit, therapist=therapist)
    with db.transaction() as session:
        episode = session.get(Episode, world.episode_id)
        assert episode is not None
        episode.programme_id = programme_id
    add_history(db, world, totals)
    state = InvitationState.COMPLETED if answered else InvitationState.SENT
    make_invitation(db, world, due_at=JUNE, state=state)
    make_invitation(db, world, due_at=JUNE + dt.timedelta(days=1), state=InvitationState.SENT)
    return world


def add_acknowledged_risk(db: Database, world: World, hours: float) -> None:
    raised = dt.datetime(2026, 6, 2, 8, tzinfo=dt.UTC)
    with db.transaction() as session:
        session.add(
            Signal(
                episode_id=world.episode_id,
                code=SignalCode.RISK_ANSWER.value,
                severity="high",
                source_key=f"test:{world.episode_id}",
                raised_at=raised,
                acknowledged_at=raised + dt.timedelta(hours=hours),
            )
        )


@dataclass(frozen=True)
class KnownData:
    unit: Unit
    small_unit: Unit
    worlds: list[World]


def make_known_dataset(db: Database) -> KnownData:
    """Unit A, programme P: eight patients (five recover reliably, one deteriorates, one was not
    at caseness, one barely changes); programme Q: six patients; no programme: three. Unit B:
    three patients. Every score and invitation falls in June 2026."""
    unit = make_unit(db)
    small_unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id), (Role.THERAPIST, small_unit.id))
    p = make_programme(db, unit, "p")
    q = make_programme(db, unit, "q")
    worlds = [add_patient(db, unit, therapist, p, [20, 8]) for _ in range(5)]
    worlds.append(add_patient(db, unit, therapist, p, [12, 19]))
    worlds.append(add_patient(db, unit, therapist, p, [8, 6]))
    worlds.append(add_patient(db, unit, therapist, p, [14, 13]))
    for hours, world in zip([1, 2, 3, 4, 5], worlds, strict=False):
        add_acknowledged_risk(db, world, hours)
    for _ in range(6):
        add_patient(db, unit, therapist, q, [15, 15])
    for _ in range(3):
        add_patient(db, unit, therapist, None, [15, 15])
    for _ in range(3):
        add_patient(db, small_unit, therapist, None, [15, 15])
    return KnownData(unit, small_unit, worlds)
