"""Helpers for the therapist-side tests: viewers, signals, goals, topics, shared episodes."""

from __future__ import annotations

import datetime as dt
import itertools

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import (
    ConsentEvent,
    EpisodeTherapist,
    OutboxMessage,
    PatientGoal,
    SessionTopic,
    Signal,
    Staff,
)
from fit_platform.domain.codes import Actor, Channel, ConsentEventKind, MessageKind, OutboxState
from fit_platform.domain.signals import SEVERITY, SignalCode
from fit_platform.services.access_control import StaffViewer
from tests.support.factories import NOW, World
from tests.support.html import csrf_token

_counter = itertools.count(1)


def viewer(staff: Staff) -> StaffViewer:
    return StaffViewer(staff.id, frozenset((role.role, role.unit_id) for role in staff.roles))


def add_signal(
    db: Database,
    world: World,
    code: SignalCode = SignalCode.RISK_ANSWER,
    *,
    raised_at: dt.datetime = NOW,
    instrument_id: str | None = "phq9",
) -> int:
    with db.transaction() as session:
        signal = Signal(
            episode_id=world.episode_id,
            code=code.value,
            severity=SEVERITY[code].value,
            source_key=f"test:{next(_counter)}",
            details={"code": code.value, "instrument": instrument_id},
            raised_at=raised_at,
        )
        session.add(signal)
        session.flush()
        return signal.id


def share_episode(db: Database, world: World, staff: Staff) -> None:
    with db.transaction() as session:
        session.add(
            EpisodeTherapist(episode_id=world.episode_id, staff_id=staff.id, responsible=False)
        )


def add_goal(db: Database, world: World, text: str) -> None:
    with db.transaction() as session:
        session.add(PatientGoal(episode_id=world.episode_id, text=text))


def add_topic(db: Database, world: World, text: str, at: dt.datetime = NOW) -> None:
    with db.transaction() as session:
        session.add(SessionTopic(episode_id=world.episode_id, text=text, created_at=at))


def add_consent_event(
    db: Database, world: World, kind: ConsentEventKind, at: dt.datetime = NOW
) -> None:
    with db.transaction() as session:
        session.add(
            ConsentEvent(patient_id=world.patient_id, kind=kind, actor=Actor.PATIENT, created_at=at)
        )


def add_failed_message(
    db: Database, world: World, at: dt.datetime = NOW, invitation_id: int | None = None
) -> None:
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"test:{next(_counter)}",
                patient_id=world.patient_id,
                invitation_id=invitation_id,
                kind=MessageKind.INVITATION,
                channel=Channel.SMS,
                state=OutboxState.FAILED,
                attempts=5,
                created_at=at,
                last_error="provider said no",
            )
        )


def add_decision(
    db: Database,
    world: World,
    decision: str,
    *,
    at: dt.datetime = NOW,
    review_on: dt.date | None = None,
) -> None:
    from fit_platform.db.models import SharedDecision

    with db.transaction() as session:
        session.add(
            SharedDecision(
                episode_id=world.episode_id,
                options_discussed="Continue as now, or add group therapy",
                decision=decision,
                review_on=review_on,
                recorded_by_id=world.therapist_id,
                recorded_at=at,
            )
        )


def resolve_signal(
    db: Database, signal_id: int, *, at: dt.datetime, acknowledge_note: str, resolve_note: str
) -> None:
    with db.transaction() as session:
        signal = session.get(Signal, signal_id)
        assert signal is not None
        signal.acknowledged_at = at
        signal.acknowledge_note = acknowledge_note
        signal.resolved_at = at
        signal.resolve_note = resolve_note


def acknowledge_in_the_view(
    client: FlaskClient, world: World, signal_id: int, note: str = ""
) -> None:
    """The therapist acknowledges a signal from the pre-session view's own form."""
    page = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    response = client.post(
        f"/clinician/episodes/{world.episode_id}/signals/{signal_id}/acknowledge",
        data={"csrf_token": csrf_token(page), "note": note},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
