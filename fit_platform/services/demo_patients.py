"""The demo's patients: sixteen weeks of answers each, with the sessions and questionnaires
behind them (`demo_course.py`), one at risk on the last answer, one paused, one stopped.

Idempotent: patients are looked up by their external id and get their history only when
created. The demo's units and staff: `demo_seed.py`; the printed link: `demo_link.py`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, Patient, Staff, Unit
from fit_platform.domain.codes import UnitKind
from fit_platform.services.demo_course import add_answered_invitation, add_past_session, demo_week

DEMO_PATIENTS = (
    # external id, name, unit code, therapist, consent, PHQ-9 start → end, risk on the last
    ("DEMO-P001", "Anna Demo", "dps-nord-pol", "terapeut1@demo.fit", "active", 19, 9, False),
    ("DEMO-P002", "Bjørn Demo", "dps-nord-pol", "terapeut1@demo.fit", "active", 17, 18, True),
    ("DEMO-P003", "Cecilie Demo", "dps-nord-dag", "terapeut2@demo.fit", "paused", 14, 10, False),
    ("DEMO-P004", "David Demo", "dps-nord-dag", "terapeut2@demo.fit", "stopped", 12, 11, False),
)
DEMO_WEEKS = 16
GAD7_BEFORE_PHQ9 = dt.timedelta(minutes=4)


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
    patient: Patient,
    episode_id: int,
    instrument_id: str,
    answers: dict[str, float],
    when: dt.datetime,
    *,
    week: int,
    sent_at: dt.datetime,
    appointment_id: int | None = None,
    closes_at: dt.datetime | None = None,
) -> int:
    """A submitted response with the questionnaire that asked for it (`demo_course.py`)."""
    from fit_platform.domain.instruments import get_instrument
    from fit_platform.services.scored_responses import add_scored_response

    response = add_scored_response(
        session,
        episode_id=episode_id,
        instrument=get_instrument(instrument_id),
        answers=answers,
        when=when,
    )
    response.invitation_id = add_answered_invitation(
        session,
        episode_id=episode_id,
        patient_id=patient.id,
        channel=patient.preferred_channel,
        instrument_id=instrument_id,
        week=week,
        sent_at=sent_at,
        answered_at=when,
        appointment_id=appointment_id,
        closes_at=closes_at,
    )
    return response.id


def seed_demo_patients(db: Database, *, now: dt.datetime, zone: ZoneInfo) -> None:
    """Demo patients with months of answers, each week with its session (outpatients) and the
    questionnaires that asked (`demo_course.py`); the printed link: `services/demo_link.py`.

    Idempotent: patients are looked up by external id and get their history only when created.
    """
    from fit_platform.db.models import ConsentEvent, EpisodeTherapist
    from fit_platform.domain.codes import (
        Actor,
        ConsentEventKind,
        ConsentState,
    )
    from fit_platform.domain.instruments import get_instrument
    from fit_platform.domain.scoring import score
    from fit_platform.domain.signals import HistoryEntry, evaluate_signals
    from fit_platform.services.signals import store_signals

    # Sixteen whole weeks, Monday to Sunday in the service's zone, the last one the week before
    # the demo's; the patients are registered on the Wednesday before the first, ahead of
    # every questionnaire of it (Anna's first PHQ-9 goes out 90 hours before her Monday
    # session, on the Thursday: registered on the Friday, she was asked before she was
    # registered, and her data export said so).
    this_monday = now.astimezone(zone).date()
    this_monday -= dt.timedelta(days=this_monday.weekday())
    first_monday = this_monday - dt.timedelta(weeks=DEMO_WEEKS)
    start = dt.datetime.combine(first_monday - dt.timedelta(days=5), dt.time(12, 0), zone)
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
                outpatient = unit.kind is UnitKind.OUTPATIENT
                for week in range(DEMO_WEEKS):
                    plan = demo_week(
                        first_monday + dt.timedelta(weeks=week),
                        outpatient=outpatient,
                        patient_number=n,
                        zone=zone,
                    )
                    when = plan.outcome_at
                    appointment_id = (
                        add_past_session(session, episode.id, week + 1, plan.session_at)
                        if plan.session_at is not None
                        else None
                    )
                    last = week == DEMO_WEEKS - 1
                    outcome = {
                        "phq9": _answers("phq9", phq[week], risk=risk and last),
                        "gad7": _answers("gad7", gad[week]),
                    }
                    ids = {
                        instrument_id: _add_response(
                            session,
                            patient,
                            episode.id,
                            instrument_id,
                            answers,
                            # The GAD-7 a few minutes before the PHQ-9, as a patient answers
                            # one after the other: the caseload's "Latest score" is then the
                            # PHQ-9, whose answers raise the demo's signals.
                            when
                            - (GAD7_BEFORE_PHQ9 if instrument_id == "gad7" else dt.timedelta()),
                            week=week + 1,
                            sent_at=plan.outcome_sent,
                            appointment_id=appointment_id,
                            closes_at=plan.session_at,  # answered before the session, or never
                        )
                        for instrument_id, answers in outcome.items()
                    }
                    response_id = ids["phq9"]
                    history.append(
                        HistoryEntry(score(get_instrument("phq9"), outcome["phq9"]), week + 1)
                    )
                    # WAI-SR (12-60): the SAI is a draft and is never sent, so the demo
                    # shows an alliance scale a clinic may actually use.
                    alliance = min(58, 46 + week)
                    _add_response(
                        session,
                        patient,
                        episode.id,
                        "wai_sr",
                        _answers("wai_sr", alliance),
                        plan.alliance_at,
                        week=week + 1,
                        sent_at=plan.alliance_sent,
                        appointment_id=appointment_id,
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
