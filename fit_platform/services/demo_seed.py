"""Demo data: units, staff and the outpatients' planned sessions and schedules (the patients
and their history: `demo_patients.py`).

Idempotent: every row is looked up by its natural key first, so seeding twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Programme, Staff, StaffRole, Unit
from fit_platform.domain.codes import Role, ScheduleTrigger, UnitKind
from fit_platform.services.passwords import hash_password
from fit_platform.services.unit_instruments import enable_all_schedulable

DEMO_PASSWORD = "fit-demo-passord"  # noqa: S105 - printed on purpose; demo data only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str = DEMO_PASSWORD


DEMO_UNITS = (
    ("dps-nord-pol", "DPS Nord, poliklinikk", UnitKind.OUTPATIENT, "+47 22 00 00 00"),
    ("dps-nord-dag", "DPS Nord, dagtilbud", UnitKind.DAY_PROGRAMME, "+47 22 00 00 01"),
)
# Each unit's one programme (code "standard"), named for what it is: named after its unit, it
# read "DPS Nord, dagtilbud: DPS Nord, dagtilbud" wherever a page names both.
DEMO_PROGRAMMES = {"dps-nord-pol": "Standard poliklinisk", "dps-nord-dag": "Dagprogram"}
DEMO_STAFF = (
    ("admin@demo.fit", "Ada Administrator", ((Role.ADMIN, None),)),
    ("terapeut1@demo.fit", "Tone Terapeut", ((Role.THERAPIST, "dps-nord-pol"),)),
    (
        "terapeut2@demo.fit",
        "Tor Terapeut",
        ((Role.THERAPIST, "dps-nord-dag"), (Role.UNIT_LEAD, "dps-nord-dag")),
    ),
    ("utvikler@demo.fit", "Una Tjenesteutvikler", ((Role.SERVICE_DEVELOPER, None),)),
    # Every unit has a lead, as a real one must: a risk signal nobody acknowledges in time
    # is escalated to the lead, and a unit without one shows its therapists a red warning.
    ("leder@demo.fit", "Lise Leder", ((Role.UNIT_LEAD, "dps-nord-pol"),)),
)


def _unit(session: Session, code: str, name: str, kind: UnitKind, phone: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(
            code=code,
            name=name,
            kind=kind,
            phone=phone,
            opening_hours="man.–fre. 08:00–15:30",
            opening_hours_nn="må.–fr. 08:00–15:30",
            opening_hours_en="Mon–Fri 08:00–15:30",
        )
        session.add(unit)
        session.flush()
        session.add(Programme(unit_id=unit.id, code="standard", name=DEMO_PROGRAMMES[code]))
        enable_all_schedulable(session, unit.id)
    return unit


def seed_demo(db: Database) -> list[DemoLogin]:
    """Create the demo organisation and staff if absent; return the logins to print."""
    with db.transaction() as session:
        units = {
            code: _unit(session, code, name, kind, phone) for code, name, kind, phone in DEMO_UNITS
        }
        password_hash = None
        for username, display_name, roles in DEMO_STAFF:
            if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
                continue
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            staff = Staff(username=username, display_name=display_name, password_hash=password_hash)
            staff.roles = [
                StaffRole(role=role, unit_id=units[unit_code].id if unit_code else None)
                for role, unit_code in roles
            ]
            session.add(staff)
    return [
        DemoLogin(username, ", ".join(role.value for role, _ in roles))
        for username, _, roles in DEMO_STAFF
    ]


# --------------------------------------------------------------------------- demo schedules

# The demo's sessions are in clinic hours: 45 minutes, starting 08:00 to 15:15, Monday to Friday.
CLINIC_OPENS = dt.time(8, 0)
CLINIC_LAST_START = dt.time(15, 15)
SESSION_LENGTH = dt.timedelta(minutes=45)
# From the longest wait to the first session (88 hours) up; under 168 - 72 = 96, so the next
# week's PHQ-9 keeps the three-day minimum interval even across a clock change.
PHQ9_LEAD_HOURS = 90

DEMO_TEMPLATES = {
    # Outpatient clinic: outcome in the days before each session (open until it starts),
    # alliance right after it. The PHQ-9 opens PHQ9_LEAD_HOURS ahead, so the first session's
    # PHQ-9 is due the moment the demo starts, whatever the day (see first_demo_appointment).
    # It is not sent again within three days, as a clinic would set it (the printed demo
    # link is the scheduler's own PHQ-9 for the first patient's first session:
    # services/demo_link.py). No reminder.
    "dps-nord-pol": (
        (
            "phq9",
            ScheduleTrigger.BEFORE_APPOINTMENT,
            PHQ9_LEAD_HOURS,
            None,
            None,
            PHQ9_LEAD_HOURS,
            None,
            72,
        ),
        ("wai_sr", ScheduleTrigger.AFTER_APPOINTMENT, 1, None, None, 48, 24, 0),
    ),
    # Day programme: outcome on Mondays, alliance on Fridays.
    "dps-nord-dag": (
        ("phq9", ScheduleTrigger.WEEKLY, 0, "1", "09:00", 72, 48, 0),
        ("wai_sr", ScheduleTrigger.WEEKLY, 0, "5", "13:00", 48, 24, 0),
    ),
}


def first_demo_appointment(now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The demo outpatients' first session: the first quarter hour at least 23 hours from now
    at which a 45-minute session fits in clinic hours (08:00–16:00 local time, Monday to
    Friday). Weekly sessions follow at the same local time, so they are in clinic hours too.

    Plain "23 hours from now" put a demo started at 01:00 at midnight. The wait to the first
    slot is at most about 88 hours (Thursday after 16:15 to Monday 08:00, one hour more in
    the week the clocks go back), which PHQ9_LEAD_HOURS covers: the first PHQ-9 is due the
    moment the demo starts, whatever the day and hour. During quiet hours the message still
    waits for their end, as in production. Public holidays are not known here.
    """
    earliest = (now + dt.timedelta(hours=23)).astimezone(zone)
    slot = earliest.replace(minute=earliest.minute - earliest.minute % 15, second=0, microsecond=0)
    if slot < earliest:
        slot += dt.timedelta(minutes=15)
    day = slot.date()
    clock = slot.time()
    if clock > CLINIC_LAST_START:
        day, clock = day + dt.timedelta(days=1), CLINIC_OPENS
    elif clock < CLINIC_OPENS:
        clock = CLINIC_OPENS
    while day.weekday() >= 5:  # Saturday, Sunday
        day, clock = day + dt.timedelta(days=1), CLINIC_OPENS
    return dt.datetime.combine(day, clock, zone)


DEMO_SESSIONS = 4
# The demo's sessions are "demo-<episode id>-<1..4>". Before, they were keyed by their date
# ("demo-2026-12-04"), so a demo restarted on another day added a second weekly series.
DEMO_REF_PREFIX = "demo-"


def seed_demo_schedules(db: Database, *, now: dt.datetime, zone: ZoneInfo) -> int:
    """Schedule templates per demo unit, each demo episode's own copy, and weekly future
    appointments for outpatients, so the scheduler has work. Idempotent; returns how many
    appointments were added."""
    from fit_platform.db.models import Episode, SchedulePlan, ScheduleRule
    from fit_platform.services.schedule_plans import copy_template_to_episode

    first_appointment = first_demo_appointment(now, zone)
    added = 0
    with db.transaction(now=now) as session:
        for unit_code, rules in DEMO_TEMPLATES.items():
            unit = session.scalars(select(Unit).where(Unit.code == unit_code)).one()
            template = session.scalar(
                select(SchedulePlan).where(
                    SchedulePlan.unit_id == unit.id, SchedulePlan.episode_id.is_(None)
                )
            )
            if template is None:
                template = SchedulePlan(
                    name="Standard",
                    unit_id=unit.id,
                    rules=[
                        ScheduleRule(
                            instrument_id=instrument,
                            trigger=trigger,
                            offset_hours=offset,
                            weekdays=weekdays,
                            send_time=send_time,
                            window_hours=window,
                            reminder_after_hours=reminder,
                            min_interval_hours=interval,
                        )
                        for (
                            instrument,
                            trigger,
                            offset,
                            weekdays,
                            send_time,
                            window,
                            reminder,
                            interval,
                        ) in rules
                    ],
                )
                session.add(template)
                session.flush()
            episodes = session.scalars(
                select(Episode).where(Episode.unit_id == unit.id).order_by(Episode.id)
            ).all()
            for number, episode in enumerate(episodes):
                copy_template_to_episode(session, template, episode.id)
                if unit.kind is not UnitKind.OUTPATIENT:
                    continue
                first = _next_in_the_day(first_appointment, number)
                added += _add_demo_sessions(session, episode.id, first)
    return added


def _next_in_the_day(first: dt.datetime, number: int) -> dt.datetime:
    """The `number`-th outpatient's first session: an hour after the one before on the same day
    (the same therapist sees both demo outpatients, so never at the same hour), or an hour
    before the first when the day's last start is passed. Within PHQ9_LEAD_HOURS of the demo's
    start either way: the longest wait to the first slot is about 89 hours."""
    later = first + dt.timedelta(hours=number)
    if later.time() <= CLINIC_LAST_START:
        return later
    return first - dt.timedelta(hours=number)


def _add_demo_sessions(session: Session, episode_id: int, first: dt.datetime) -> int:
    """The weekly demo sessions of an outpatient episode, from `first`, only when it has none
    from the demo yet: a restarted demo (the next day, or weeks later) adds nothing, so its
    patients get no second series of questionnaires. Returns how many were added."""
    from fit_platform.db.models import Appointment

    already = session.scalar(
        select(Appointment.id)
        .where(
            Appointment.episode_id == episode_id,
            Appointment.external_ref.startswith(DEMO_REF_PREFIX, autoescape=True),
        )
        .limit(1)
    )
    if already is not None:
        return 0
    for number in range(1, DEMO_SESSIONS + 1):
        starts = first + dt.timedelta(weeks=number - 1)
        session.add(
            Appointment(
                episode_id=episode_id,
                external_ref=f"{DEMO_REF_PREFIX}{episode_id}-{number}",
                starts_at=starts.astimezone(dt.UTC),
                ends_at=(starts + SESSION_LENGTH).astimezone(dt.UTC),
            )
        )
    return DEMO_SESSIONS
