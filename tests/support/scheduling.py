"""Factories for scheduling and delivery tests: a patient with an episode, its own plan and
appointments in one call, a consent event, and a clock that tests move by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    ConsentEvent,
    Episode,
    EpisodeTherapist,
    Invitation,
    OutboxMessage,
    Patient,
    SchedulePlan,
    ScheduleRule,
    Staff,
    StaffRole,
    Unit,
)
from fit_platform.domain.codes import (
    Actor,
    AppointmentStatus,
    Channel,
    ConsentEventKind,
    Language,
    Role,
    ScheduleTrigger,
    UnitKind,
)

OSLO = ZoneInfo("Europe/Oslo")


def oslo(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=OSLO).astimezone(dt.UTC)


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> dt.datetime:
        self.now += dt.timedelta(**kwargs)
        return self.now


@dataclass
class RuleSpec:
    instrument_id: str
    trigger: ScheduleTrigger
    offset_hours: int = 0
    weekdays: str | None = None
    send_time: str | None = None
    window_hours: int = 48
    reminder_after_hours: int | None = None
    min_interval_hours: int = 0


def give_plan(db: Database, episode_id: int, *rules: RuleSpec) -> None:
    """Give an existing episode (e.g. from tests.support.factories) its own plan."""
    with db.transaction() as session:
        session.add(
            SchedulePlan(
                name="plan",
                episode_id=episode_id,
                rules=[ScheduleRule(**vars(rule)) for rule in rules],
            )
        )


def gad7_before_an_evening_session(db: Database, episode_id: int, day: dt.datetime) -> dt.datetime:
    """A session at 20:00 (UTC) on `day`'s date and a rule asking a GAD-7 four hours before
    it; returns 16:00, when the scheduler creates that questionnaire (outside quiet hours)."""
    with db.transaction() as session:
        session.add(Appointment(episode_id=episode_id, starts_at=day.replace(hour=20)))
    give_plan(db, episode_id, RuleSpec("gad7", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=4))
    return day.replace(hour=16)


# The outpatient rule: asked 24 hours before each session, until the session starts.
DAY_BEFORE = RuleSpec("phq9", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=24)


@dataclass
class World:
    db: Database
    unit_id: int = 0
    counter: int = field(default=0)
    # The unit's therapist, responsible for every episode made here: the scheduler asks a
    # patient nothing while nobody would see her answers (services/unattended.py).
    therapist_id: int = 0

    def unit(self, name: str = "Nordre DPS", kind: UnitKind = UnitKind.OUTPATIENT) -> int:
        with self.db.transaction() as s:
            self.counter += 1
            unit = Unit(code=f"u{self.counter}", name=name, kind=kind)
            s.add(unit)
            s.flush()
            therapist = Staff(
                username=f"therapist-{unit.id}@scheduling.test",
                display_name=f"Therapist {self.counter}",
                password_hash="not used",  # never logs in
                roles=[StaffRole(role=Role.THERAPIST, unit_id=unit.id)],
            )
            s.add(therapist)
            s.flush()
            self.unit_id, self.therapist_id = unit.id, therapist.id
            return unit.id

    def patient_with_episode(
        self,
        rules: list[RuleSpec],
        appointments: list[dt.datetime] = (),  # type: ignore[assignment]
        *,
        started_on: dt.date = dt.date(2026, 1, 1),
        ended_on: dt.date | None = None,
        channel: Channel = Channel.SMS,
        phone: str | None = "+4791234567",
        email: str | None = "kari@eksempel.no",
        language: Language = Language.BOKMAAL,
        quiet: tuple[str, str] = ("21:00", "08:00"),
    ) -> tuple[int, int]:
        """A patient with one active episode, its own plan with `rules`, and planned
        appointments at the given times. Returns (patient id, episode id). `quiet` sets
        the quiet hours of the world's unit (they are a unit setting)."""
        if not self.unit_id:
            self.unit()
        with self.db.transaction() as s:
            unit = s.get(Unit, self.unit_id)
            assert unit is not None
            unit.quiet_from, unit.quiet_until = quiet
            patient = Patient(
                display_name="Test",
                phone_e164=phone,
                email=email,
                preferred_channel=channel,
                preferred_language=language,
            )
            s.add(patient)
            s.flush()
            episode = Episode(
                patient_id=patient.id,
                unit_id=self.unit_id,
                started_on=started_on,
                ended_on=ended_on,
            )
            episode.therapists = [EpisodeTherapist(staff_id=self.therapist_id, responsible=True)]
            s.add(episode)
            s.flush()
            s.add(
                SchedulePlan(
                    name="plan",
                    episode_id=episode.id,
                    quiet_from=quiet[0],
                    quiet_until=quiet[1],
                    rules=[ScheduleRule(**vars(r)) for r in rules],
                )
            )
            for start in appointments:
                s.add(Appointment(episode_id=episode.id, starts_at=start))
            return patient.id, episode.id

    def appointment_ids(self, episode_id: int) -> list[int]:
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(Appointment.id)
                    .where(Appointment.episode_id == episode_id)
                    .order_by(Appointment.starts_at)
                )
            )

    def move_appointment(
        self,
        appointment_id: int,
        starts_at: dt.datetime | None = None,
        status: AppointmentStatus | None = None,
    ) -> None:
        with self.db.transaction() as s:
            appointment = s.get(Appointment, appointment_id)
            assert appointment is not None
            if starts_at is not None:
                appointment.starts_at = starts_at
            if status is not None:
                appointment.status = status

    def consent_event(
        self,
        patient_id: int,
        kind: ConsentEventKind,
        at: dt.datetime,
        *,
        paused_until: dt.date | None = None,
        channel: Channel | None = None,
    ) -> None:
        """Store a consent event and nothing else (services.consent also updates the
        patient and cancels pending work): for checking that send paths notice anyway."""
        with self.db.transaction() as s:
            s.add(
                ConsentEvent(
                    patient_id=patient_id,
                    kind=kind,
                    actor=Actor.PATIENT,
                    paused_until=paused_until,
                    channel=channel,
                    created_at=at,
                )
            )

    def invitations(self, episode_id: int | None = None) -> list[Invitation]:
        with self.db.session() as s:
            query = select(Invitation).order_by(Invitation.due_at, Invitation.id)
            if episode_id is not None:
                query = query.where(Invitation.episode_id == episode_id)
            return list(s.scalars(query))

    def outbox(self) -> list[OutboxMessage]:
        with self.db.session() as s:
            return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def count(self, model: type) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)
