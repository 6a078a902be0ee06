"""Factories that build realistic data in one line, e.g.

    world = make_world(db)                      # unit, therapist, patient, active episode
    history = add_phq9_history(db, world, [19, 16, 14, 11])   # submitted, scored responses

Everything goes through the real models into the real database; nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Episode,
    EpisodeTherapist,
    Invitation,
    Patient,
    SchedulePlan,
    ScheduleRule,
    Staff,
    StaffRole,
    Unit,
)
from fit_platform.domain.codes import (
    Channel,
    InvitationState,
    Language,
    Role,
    ScheduleTrigger,
    UnitKind,
)
from fit_platform.domain.instruments import default_instruments
from fit_platform.services.links import mint_token
from fit_platform.services.passwords import hash_password
from fit_platform.services.scored_responses import add_scored_response
from fit_platform.services.unit_instruments import enable_all_schedulable

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)
_counter = itertools.count(1)
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class World:
    unit_id: int
    therapist_id: int
    therapist_username: str
    patient_id: int
    episode_id: int


def make_staff(db: Database, *roles: tuple[Role, int | None], name: str | None = None) -> Staff:
    n = next(_counter)
    with db.transaction() as session:
        staff = Staff(
            username=f"staff{n}@test.fit",
            display_name=name or f"Staff {n}",
            password_hash=_PASSWORD_HASH,
        )
        staff.roles = [StaffRole(role=role, unit_id=unit_id) for role, unit_id in roles]
        session.add(staff)
    return staff


def make_unit(db: Database, kind: UnitKind = UnitKind.OUTPATIENT) -> Unit:
    n = next(_counter)
    with db.transaction() as session:
        unit = Unit(code=f"unit-{n}", name=f"DPS Test {n}", kind=kind, phone="+47 22 00 00 00")
        session.add(unit)
        session.flush()
        enable_all_schedulable(session, unit.id)
    return unit


def make_unit_template(db: Database, unit_id: int) -> int:
    """The unit's schedule template, copied to each episode registered afterwards: a PHQ-9
    a day before every appointment. Its id."""
    with db.transaction() as session:
        plan = SchedulePlan(name="Standard", unit_id=unit_id)
        plan.rules.append(
            ScheduleRule(
                instrument_id="phq9",
                trigger=ScheduleTrigger.BEFORE_APPOINTMENT,
                offset_hours=24,
                window_hours=24,
            )
        )
        session.add(plan)
        session.flush()
        return plan.id


def make_world(
    db: Database,
    *,
    unit: Unit | None = None,
    therapist: Staff | None = None,
    language: Language = Language.BOKMAAL,
    channel: Channel = Channel.SMS,
    started_on: dt.date = dt.date(2026, 6, 1),
) -> World:
    """A unit, a therapist responsible for one patient with one active episode."""
    unit = unit or make_unit(db)
    therapist = therapist or make_staff(db, (Role.THERAPIST, unit.id))
    n = next(_counter)
    with db.transaction() as session:
        patient = Patient(
            display_name=f"Patient {n}",
            external_id=f"EPR-{n:06d}",
            phone_e164=f"+4791{n:06d}",
            email=f"patient{n}@example.org",
            preferred_language=language,
            preferred_channel=channel,
        )
        session.add(patient)
        session.flush()
        episode = Episode(patient_id=patient.id, unit_id=unit.id, started_on=started_on)
        episode.therapists = [EpisodeTherapist(staff_id=therapist.id, responsible=True)]
        session.add(episode)
    return World(unit.id, therapist.id, therapist.username, patient.id, episode.id)


def make_invitation(
    db: Database,
    world: World,
    instrument_id: str = "phq9",
    *,
    due_at: dt.datetime = NOW,
    window: dt.timedelta = dt.timedelta(hours=48),
    state: InvitationState = InvitationState.SENT,
) -> tuple[Invitation, str]:
    """An invitation with a fresh link token; returns the invitation and the raw token."""
    with db.transaction() as session:
        invitation = Invitation(
            episode_id=world.episode_id,
            instrument_id=instrument_id,
            slot_key=f"test:{next(_counter)}",
            state=state,
            due_at=due_at,
            expires_at=due_at + window,
            sent_at=due_at if state is not InvitationState.SCHEDULED else None,
        )
        session.add(invitation)
        session.flush()
        token = mint_token(session, invitation, due_at)
    return invitation, token


def answers_for_total(instrument_id: str, total: int) -> dict[str, float]:
    """Item answers (in item order) adding up to `total`, spread as evenly as allowed."""
    instrument = default_instruments()[instrument_id]
    items = [item for item in instrument.items if item.options or item.vas]
    # Every item starts at its lowest answer (0 on most scales, 1 on the WAI-SR), then the
    # rest is filled in item order.
    answers = {item.link_id: float(item.min_value) for item in items}
    remaining = total - sum(answers.values())
    for item in items:
        value = min(item.max_value - item.min_value, remaining)
        answers[item.link_id] += value
        remaining -= value
    assert remaining == 0, f"{total} is out of range for {instrument_id}"
    return answers


def add_history(
    db: Database,
    world: World,
    totals: list[int],
    instrument_id: str = "phq9",
    *,
    start: dt.datetime = dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC),
    every: dt.timedelta = dt.timedelta(weeks=1),
) -> list[int]:
    """Submitted, scored responses with the given totals, one per `every`; returns their ids."""
    instrument = default_instruments()[instrument_id]
    with db.transaction() as session:
        return [
            add_scored_response(
                session,
                episode_id=world.episode_id,
                instrument=instrument,
                answers=answers_for_total(instrument_id, total),
                when=start + index * every,
            ).id
            for index, total in enumerate(totals)
        ]


def add_appointment(db: Database, world: World, starts_at: dt.datetime) -> Appointment:
    with db.transaction() as session:
        appointment = Appointment(episode_id=world.episode_id, starts_at=starts_at)
        session.add(appointment)
    return appointment
