"""A random service history with the awkward cases in it, for comparing two ways of computing
the export: patients with two episodes (in two programmes of a unit, and in two units),
responses submitted at the same second, unscorable responses, every invitation state and
non-response reason, signals of every kind, consent changes and service comments."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert

from fit_platform.db import Database
from fit_platform.db.models import (
    ConsentEvent,
    Episode,
    Invitation,
    Patient,
    Programme,
    Response,
    ServiceFeedback,
    Signal,
    Unit,
)
from fit_platform.domain.codes import (
    Actor,
    ConsentEventKind,
    EpisodeStatus,
    InvitationState,
    Language,
    ResponseStatus,
)
from fit_platform.domain.signals import SignalCode
from fit_platform.services.export import NON_RESPONSE_REASONS

FIRST_DAY = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
DAYS = 270
TOTALS = {"phq9": (0, 27), "gad7": (0, 21), "core10": (0, 40), "wai_sr": (12, 60), "sai": (0, 30)}
REASONS = [None, *(code for codes in NON_RESPONSE_REASONS.values() for code in codes)]


def random_history(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    with db.transaction() as session:
        units = []
        for n in range(3):
            unit = Unit(code=f"eq-{seed}-{n}", name=f"Unit {n}", kind="outpatient")
            session.add(unit)
            session.flush()
            programmes: list[int | None] = []
            for p in range(n):  # unit 0 has no programmes, unit 2 has two
                programme = Programme(unit_id=unit.id, code=f"p{p}", name=f"Programme {p}")
                session.add(programme)
                session.flush()
                programmes.append(programme.id)
            units.append((unit.id, [None, *programmes]))
        patient_ids = list(
            session.scalars(
                insert(Patient.__table__).returning(
                    Patient.__table__.c.id, sort_by_parameter_order=True
                ),
                [{"display_name": f"Random {n}", "created_at": FIRST_DAY} for n in range(60)],
            )
        )
        episodes = []
        for patient_id in patient_ids:
            # One episode; one patient in four has a second one in the same or another unit.
            for _ in range(1 if rng.random() < 0.75 else 2):
                unit_id, programmes = rng.choice(units)
                episodes.append(
                    {
                        "patient_id": patient_id,
                        "unit_id": unit_id,
                        "programme_id": rng.choice(programmes),
                        "status": EpisodeStatus.ENDED,
                        "started_on": FIRST_DAY.date(),
                        "created_at": FIRST_DAY,
                    }
                )
        episode_ids = list(
            session.scalars(
                insert(Episode.__table__).returning(
                    Episode.__table__.c.id, sort_by_parameter_order=True
                ),
                episodes,
            )
        )
        invitations, responses, signals = [], [], []
        for episode_id in episode_ids:
            for instrument_id, (low, high) in TOTALS.items():
                if rng.random() < 0.3:
                    continue
                for n in range(rng.randint(0, 7)):
                    # Whole hours over nine months: some at the same second as another.
                    at = FIRST_DAY + dt.timedelta(hours=rng.randrange(DAYS * 24 // 6) * 6)
                    state = rng.choice(list(InvitationState))
                    invitations.append(
                        {
                            "episode_id": episode_id,
                            "instrument_id": instrument_id,
                            "slot_key": f"eq:{instrument_id}:{n}",
                            "state": state,
                            "due_at": at,
                            "expires_at": at + dt.timedelta(hours=48),
                            "sent_at": None if rng.random() < 0.1 else at,
                            "non_response_reason": rng.choice(REASONS),
                            "created_at": at,
                        }
                    )
                    scorable = rng.random() < 0.9
                    responses.append(
                        {
                            "episode_id": episode_id,
                            "instrument_id": instrument_id,
                            "instrument_version": "1.0.0",
                            "language": Language.BOKMAAL,
                            "status": ResponseStatus.SUBMITTED
                            if rng.random() < 0.95
                            else ResponseStatus.IN_PROGRESS,
                            "started_at": at,
                            "submitted_at": at,
                            "scoring_version": "1.0.0",
                            "scorable": scorable,
                            "total": float(rng.randint(low, high)) if scorable else None,
                            "risk": False,
                        }
                    )
            for n in range(rng.randint(0, 3)):
                raised = FIRST_DAY + dt.timedelta(hours=rng.randrange(DAYS * 24))
                acknowledged = rng.choice([None, rng.uniform(0.1, 100)])
                resolved = rng.choice([None, rng.uniform(1, 400)])
                signals.append(
                    {
                        "episode_id": episode_id,
                        "code": rng.choice(list(SignalCode)).value,
                        "severity": "high",
                        "source_key": f"eq:{episode_id}:{n}",
                        "raised_at": raised,
                        "acknowledged_at": None
                        if acknowledged is None
                        else raised + dt.timedelta(hours=acknowledged),
                        "resolved_at": None
                        if resolved is None
                        else raised + dt.timedelta(hours=resolved),
                    }
                )
        session.execute(insert(Invitation.__table__), invitations)
        session.execute(insert(Response.__table__), responses)
        session.execute(insert(Signal.__table__), signals)
        for patient_id in rng.sample(patient_ids, 15):
            session.add(
                ConsentEvent(
                    patient_id=patient_id,
                    kind=rng.choice(
                        [
                            ConsentEventKind.PAUSED,
                            ConsentEventKind.STOPPED,
                            ConsentEventKind.RESUMED,
                        ]
                    ),
                    actor=Actor.PATIENT,
                    created_at=FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS)),
                )
            )
        for n in range(40):
            unit_id, programmes = rng.choice(units)
            session.add(
                ServiceFeedback(
                    unit_id=unit_id,
                    programme_id=rng.choice(programmes),
                    instrument_id="wai_sr",
                    text=f"comment {n}",
                    period=f"2025-{rng.randint(10, 12)}" if n % 2 else f"2026-0{rng.randint(1, 6)}",
                )
            )
