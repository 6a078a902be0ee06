"""Demo data: units, staff and (as features land) patients with months of answers.

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


# --------------------------------------------------------------------------- demo patients

DEMO_PATIENTS = (
    # external id, name, unit code, therapist, consent, PHQ-9 start → end, risk on the last
    ("DEMO-P001", "Anna Demo", "dps-nord-pol", "terapeut1@demo.fit", "active", 19, 9, False),
    ("DEMO-P002", "Bjørn Demo", "dps-nord-pol", "terapeut1@demo.fit", "active", 17, 18, True),
    ("DEMO-P003", "Cecilie Demo", "dps-nord-dag", "terapeut2@demo.fit", "paused", 14, 10, False),
    ("DEMO-P004", "David Demo", "dps-nord-dag", "terapeut2@demo.fit", "stopped", 12, 11, False),
)
DEMO_WEEKS = 16


def _trajectory(start: int, end: int, weeks: int, seed: int) -> list[int]:
    """A realistic weekly course: roughly exponential change with week-to-week noise."""
    import math
    import random

    rng = random.Random(seed)  # noqa: S311 - demo noise, not a secret
    out = []
    for week in range(weeks):
        expected = end + (start - end) * math.exp(-3 * week / weeks)
        out.append(max(0, min(27, round(expected + rng.choice((-2, -1, 0, 0, 1, 2))))))
    out[0], out[-1] = start, end
    return out


def _answers(instrument_id: str, total: int, risk: bool = False) -> dict[str, float]:
    from fit_platform.domain.instruments import get_instrument

    inst = get_instrument(instrument_id)
    scored = list(inst.scored_link_ids)
    top = max(o.value for o in inst.item(scored[0]).options)
    low = min(o.value for o in inst.item(scored[0]).options)
    risk_ids = {r.link_id for r in inst.risk_items}
    answers = {link_id: low for link_id in scored}
    remaining = total - low * len(scored)
    if risk and risk_ids:
        rid = next(iter(risk_ids))
        answers[rid] = 2.0
        remaining -= 2.0 - low
    for link_id in scored:
        if link_id in risk_ids:
            continue
        step = min(top - low, remaining)
        answers[link_id] += step
        remaining -= step
    return answers


def _add_response(
    session: Session,
    episode_id: int,
    instrument_id: str,
    answers: dict[str, float],
    when: dt.datetime,
) -> int:
    from fit_platform.domain.instruments import get_instrument
    from fit_platform.services.scored_responses import add_scored_response

    return add_scored_response(
        session,
        episode_id=episode_id,
        instrument=get_instrument(instrument_id),
        answers=answers,
        when=when,
    ).id


def seed_demo_patients(db: Database, *, now: dt.datetime) -> None:
    """Demo patients with months of answers (the printed link: `services/demo_link.py`).

    Idempotent: patients are looked up by external id and get their history only when created.
    """
    from fit_platform.db.models import (
        ConsentEvent,
        Episode,
        EpisodeTherapist,
        Patient,
    )
    from fit_platform.domain.codes import (
        Actor,
        ConsentEventKind,
        ConsentState,
    )
    from fit_platform.domain.instruments import get_instrument
    from fit_platform.domain.scoring import score
    from fit_platform.domain.signals import HistoryEntry, evaluate_signals
    from fit_platform.services.signals import store_signals

    start = now - dt.timedelta(weeks=DEMO_WEEKS)
    with db.transaction(now=now) as session:
        for n, (ext, name, unit_code, therapist, state, begin, end, risk) in enumerate(
            DEMO_PATIENTS, start=1
        ):
            patient = session.scalar(select(Patient).where(Patient.external_id == ext))
            if patient is None:
                unit = session.scalars(select(Unit).where(Unit.code == unit_code)).one()
                staff_id = session.scalar(select(Staff.id).where(Staff.username == therapist))
                patient = Patient(
                    display_name=name,
                    external_id=ext,
                    phone_e164=f"+479900000{n}",
                    # `.example` is reserved for examples (RFC 2606) and, unlike `.invalid`,
                    # passes the contact form's check, so a therapist can save the form as is.
                    email=f"pasient{n}@demo.example",
                    # Registered when the two years of history begin, not at the demo's start:
                    # the patient's file (`registered_at`) would otherwise say the patient was
                    # registered after answering for two years.
                    created_at=start,
                )
                session.add(patient)
                session.flush()
                episode = Episode(patient_id=patient.id, unit_id=unit.id, started_on=start.date())
                if staff_id is not None:
                    episode.therapists = [EpisodeTherapist(staff_id=staff_id, responsible=True)]
                session.add(episode)
                session.flush()
                phq = _trajectory(begin, end, DEMO_WEEKS, seed=n)
                gad = [max(0, min(21, round(t * 0.75))) for t in phq]
                history = []
                for week in range(DEMO_WEEKS):
                    when = start + dt.timedelta(weeks=week, hours=8)
                    last = week == DEMO_WEEKS - 1
                    answers = _answers("phq9", phq[week], risk=risk and last)
                    response_id = _add_response(session, episode.id, "phq9", answers, when)
                    history.append(HistoryEntry(score(get_instrument("phq9"), answers), week + 1))
                    _add_response(session, episode.id, "gad7", _answers("gad7", gad[week]), when)
                    # WAI-SR (12-60): the SAI is a draft and is never sent, so the demo
                    # shows an alliance scale a clinic may actually use.
                    alliance = min(58, 46 + week)
                    _add_response(
                        session,
                        episode.id,
                        "wai_sr",
                        _answers("wai_sr", alliance),
                        when + dt.timedelta(days=1),
                    )
                    if last:
                        raised = evaluate_signals(get_instrument("phq9"), history)
                        store_signals(
                            session,
                            episode_id=episode.id,
                            response_id=response_id,
                            raised=raised,
                            now=when,
                        )
                if state != "active":
                    kind = (
                        ConsentEventKind.PAUSED if state == "paused" else ConsentEventKind.STOPPED
                    )
                    until = (now + dt.timedelta(weeks=3)).date() if state == "paused" else None
                    patient.consent_state = ConsentState(state)
                    patient.paused_until = until
                    session.add(
                        ConsentEvent(
                            patient_id=patient.id,
                            kind=kind,
                            actor=Actor.PATIENT,
                            paused_until=until,
                            created_at=now - dt.timedelta(days=2),
                        )
                    )


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
            episodes = session.scalars(select(Episode).where(Episode.unit_id == unit.id)).all()
            for episode in episodes:
                copy_template_to_episode(session, template, episode.id)
                if unit.kind is not UnitKind.OUTPATIENT:
                    continue
                added += _add_demo_sessions(session, episode.id, first_appointment)
    return added


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
