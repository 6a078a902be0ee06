"""A service history big enough to read in the service figures: synthetic units, programmes and
a few hundred ended episodes over the last two years, with invitations, scores and signals.

Why ended episodes in units of their own: no therapist or unit lead is linked to them, so they
never appear on a caseload, and the scheduler (which only plans active episodes) never sends
them anything. The patients are plainly synthetic: "Syntetisk pasient 0001", external id
``SYNT-0001``, no phone number and no e-mail address.

Quick and idempotent: the whole history is generated in memory from a fixed random seed and
written with one multi-row INSERT per table (SQLAlchemy Core "insertmanyvalues"; the ORM's
bulk path issued one statement per row), in one transaction; when the first synthetic patient
already exists nothing is done. The numbers are realistic rather than real: response rates
around 55–80 % that rise over the two years, PHQ-9 and GAD-7 courses that mostly improve
(about half reliably), a few risk answers that are acknowledged within hours.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Invitation,
    Patient,
    Programme,
    Response,
    Signal,
    Unit,
)
from fit_platform.domain.codes import (
    EpisodeStatus,
    InvitationState,
    Language,
    ResponseStatus,
    UnitKind,
)
from fit_platform.domain.instruments import Instrument, get_instrument
from fit_platform.domain.scoring import band_for
from fit_platform.domain.signals import SEVERITY, SignalCode

SYNTHETIC_PREFIX = "SYNT-"
SYNTHETIC_EPISODES = 600
HISTORY_DAYS = 2 * 365


@dataclass(frozen=True)
class SyntheticUnit:
    code: str
    name: str
    kind: UnitKind
    programmes: tuple[tuple[str, str], ...]
    outcomes: tuple[str, ...]  # outcome questionnaires, asked at every session
    response_rate: float  # in the first month; rises by about ten points over two years
    improvement: float  # share of the intake score gone by the end of a typical episode


SYNTHETIC_UNITS = (
    SyntheticUnit(
        "dps-sor-pol",
        "DPS Sør, poliklinikk",
        UnitKind.OUTPATIENT,
        (("angst-depresjon", "Angst og depresjon"), ("traume", "Traumebehandling")),
        ("phq9", "gad7"),
        0.62,
        0.45,
    ),
    SyntheticUnit(
        "dps-sor-dag",
        "DPS Sør, dagtilbud",
        UnitKind.DAY_PROGRAMME,
        (("dagtilbud", "Dagtilbud"),),
        ("phq9", "gad7"),
        0.72,
        0.35,
    ),
    SyntheticUnit(
        "dps-vest-pol",
        "DPS Vest, poliklinikk",
        UnitKind.OUTPATIENT,
        (("standard", "Standard poliklinisk"), ("gruppe", "Gruppebehandling")),
        ("phq9", "gad7"),
        0.55,
        0.4,
    ),
)
# The WAI-SR (12 items, 12-60): the alliance questionnaire in clinical use here. The SAI is a
# draft that is never sent to patients, so a demo of it would show figures no service has.
ALLIANCE = "wai_sr"
# Typical WAI-SR totals: most patients rate the alliance high (a ceiling effect), a few low.
ALLIANCE_LEVEL = (38.0, 56.0)
# Every unit asks the same outcome questionnaires: a questionnaire only one unit uses is hidden
# for that unit by the complementary suppression (the other units' zeros would give it away).
# Typical intake scores (mean, spread) on each outcome questionnaire.
INTAKE = {"phq9": (15.0, 4.5), "gad7": (12.0, 4.0), "core10": (20.0, 6.0)}


def seed_demo_service_history(db: Database, now: dt.datetime) -> int:
    """Add the synthetic service history unless it is there; return how many episodes were
    added (0 when it already was). Demo only: called by ``fit-platform demo``."""
    with db.transaction(now=now) as session:
        exists = session.scalar(
            select(Patient.id).where(Patient.external_id == f"{SYNTHETIC_PREFIX}0001")
        )
        if exists is not None:
            return 0
        programmes = _units_and_programmes(session)
        return _history(session, programmes, now)


def _units_and_programmes(session: Session) -> list[tuple[SyntheticUnit, int, int]]:
    """(unit, unit id, programme id) for every synthetic programme, created where absent."""
    found = []
    for spec in SYNTHETIC_UNITS:
        unit = session.scalar(select(Unit).where(Unit.code == spec.code))
        if unit is None:
            unit = Unit(code=spec.code, name=spec.name, kind=spec.kind, phone="+47 22 00 00 09")
            session.add(unit)
            session.flush()
        for code, name in spec.programmes:
            programme_id = session.scalar(
                select(Programme.id).where(Programme.unit_id == unit.id, Programme.code == code)
            )
            if programme_id is None:
                programme = Programme(unit_id=unit.id, code=code, name=name)
                session.add(programme)
                session.flush()
                programme_id = programme.id
            found.append((spec, unit.id, programme_id))
    return found


def _course(
    rng: random.Random, instrument: Instrument, intake: float, gain: float, sessions: int
) -> list[float]:
    """Scores that move from the intake towards ``intake * (1 - gain)`` with noise."""
    top = instrument.score_max
    out = []
    for session in range(sessions):
        expected = intake * (1 - gain * (1 - math.exp(-3 * session / max(1, sessions - 1))))
        out.append(float(max(0, min(top, round(expected + rng.gauss(0, 1.6))))))
    return out


def _history(
    session: Session, programmes: list[tuple[SyntheticUnit, int, int]], now: dt.datetime
) -> int:
    rng = random.Random(20261202)  # noqa: S311 - synthetic demo data, not a secret
    first_day = now - dt.timedelta(days=HISTORY_DAYS)
    instruments = {i: get_instrument(i) for i in ("phq9", "gad7", "core10", ALLIANCE)}
    patients = [
        {
            "display_name": f"Syntetisk pasient {n:04d}",
            "external_id": f"{SYNTHETIC_PREFIX}{n:04d}",
            "phone_e164": None,
            "email": None,
            "created_at": first_day,
        }
        for n in range(1, SYNTHETIC_EPISODES + 1)
    ]
    patient_ids = list(
        session.scalars(
            insert(Patient.__table__).returning(
                Patient.__table__.c.id, sort_by_parameter_order=True
            ),
            patients,
        )
    )
    plans = []
    for patient_id in patient_ids:
        spec, unit_id, programme_id = programmes[rng.randrange(len(programmes))]
        sessions = rng.randint(6, 14)
        gap = 7 if spec.kind is UnitKind.DAY_PROGRAMME else 14
        latest_start = HISTORY_DAYS - sessions * gap - 7
        started = first_day + dt.timedelta(days=rng.randint(0, max(0, latest_start)))
        plans.append((patient_id, spec, unit_id, programme_id, sessions, gap, started))
    episode_ids = list(
        session.scalars(
            insert(Episode.__table__).returning(
                Episode.__table__.c.id, sort_by_parameter_order=True
            ),
            [
                {
                    "patient_id": patient_id,
                    "unit_id": unit_id,
                    "programme_id": programme_id,
                    "status": EpisodeStatus.ENDED,
                    "started_on": started.date(),
                    "ended_on": (started + dt.timedelta(days=sessions * gap)).date(),
                    "created_at": started,
                }
                for patient_id, _spec, unit_id, programme_id, sessions, gap, started in plans
            ],
        )
    )
    invitations: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    for episode_id, (_patient, spec, _unit, _programme, sessions, gap, started) in zip(
        episode_ids, plans, strict=True
    ):
        willing = rng.uniform(-0.15, 0.15)  # some patients answer more than others
        gain = max(-0.2, rng.gauss(spec.improvement, 0.25))
        courses = {
            instrument_id: _course(
                rng,
                instruments[instrument_id],
                max(4.0, rng.gauss(*INTAKE[instrument_id])),
                gain,
                sessions,
            )
            for instrument_id in spec.outcomes
        }
        alliance = rng.uniform(*ALLIANCE_LEVEL)
        for number in range(sessions):
            due = started + dt.timedelta(days=number * gap, hours=rng.randint(7, 12))
            # Later months answer more: the service learns to use feedback.
            months = (due - first_day).days / 30.4
            rate = min(0.95, spec.response_rate + willing + 0.1 * months / 24)
            for instrument_id in (*spec.outcomes, ALLIANCE):
                instrument = instruments[instrument_id]
                answered = rng.random() < rate
                state = InvitationState.COMPLETED if answered else InvitationState.EXPIRED
                invitations.append(
                    {
                        "episode_id": episode_id,
                        "instrument_id": instrument_id,
                        "slot_key": f"synthetic:{number}",
                        "state": state,
                        "due_at": due,
                        "expires_at": due + dt.timedelta(hours=48),
                        "sent_at": due,
                        "completed_at": due + dt.timedelta(hours=3) if answered else None,
                        "closed_at": None if answered else due + dt.timedelta(hours=48),
                        "non_response_reason": None
                        if answered
                        else rng.choice(("not_opened", "not_opened", "opened_not_completed")),
                        "created_at": due,
                    }
                )
                if not answered:
                    continue
                submitted = due + dt.timedelta(hours=3)
                if instrument_id == ALLIANCE:
                    scale = instruments[ALLIANCE]
                    total = float(
                        max(
                            scale.score_min, min(scale.score_max, round(alliance + rng.gauss(0, 3)))
                        )
                    )
                else:
                    total = courses[instrument_id][number]
                risk = instrument_id == "phq9" and total >= 15 and rng.random() < 0.12
                responses.append(
                    {
                        "episode_id": episode_id,
                        "instrument_id": instrument_id,
                        "instrument_version": instrument.version,
                        "language": Language.BOKMAAL,
                        "status": ResponseStatus.SUBMITTED,
                        "started_at": submitted,
                        "submitted_at": submitted,
                        "scoring_version": instrument.version,
                        "scorable": True,
                        "total": total,
                        "band": band_for(instrument, total),
                        "risk": risk,
                    }
                )
                if risk:
                    acknowledged = submitted + dt.timedelta(hours=rng.lognormvariate(1.5, 0.9))
                    signals.append(
                        {
                            "episode_id": episode_id,
                            "code": SignalCode.RISK_ANSWER.value,
                            "severity": SEVERITY[SignalCode.RISK_ANSWER].value,
                            "source_key": f"synthetic:{number}",
                            "raised_at": submitted,
                            "acknowledged_at": acknowledged,
                            "resolved_at": acknowledged + dt.timedelta(days=rng.randint(1, 10)),
                        }
                    )
    session.execute(insert(Invitation.__table__), invitations)
    session.execute(insert(Response.__table__), responses)
    if signals:
        session.execute(insert(Signal.__table__), signals)
    return len(episode_ids)
