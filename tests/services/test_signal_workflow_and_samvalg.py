from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Signal
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services.access_control import StaffViewer
from fit_platform.services.samvalg import (
    DecisionDraft,
    DecisionError,
    DecisionRefused,
    decisions_for_patient,
    record_decision,
)
from fit_platform.services.signal_workflow import (
    SignalActionError,
    SignalActionRefused,
    acknowledge_signal,
    acknowledge_times,
    escalate_overdue_risk_signals,
    resolve_signal,
)
from tests.support.clinical import add_signal, viewer
from tests.support.factories import NOW, World, make_staff, make_world

TODAY = dt.date(2026, 11, 25)


def _setup(db: Database) -> tuple[World, StaffViewer]:
    world = make_world(db)
    therapist = make_staff(db, (Role.THERAPIST, world.unit_id))
    from tests.support.clinical import share_episode

    share_episode(db, world, therapist)
    return world, viewer(therapist)


def test_risk_signal_acknowledgement_records_who_when_and_what_was_done(db: Database) -> None:
    world, who = _setup(db)
    signal_id = add_signal(db, world, raised_at=NOW - dt.timedelta(hours=3))
    state = acknowledge_signal(
        db, who, signal_id, "Called the patient; safety plan agreed", now=NOW
    )
    assert state.acknowledged_at == NOW
    with db.session() as session:
        signal = session.get(Signal, signal_id)
        assert signal is not None
        assert signal.acknowledged_by_id == who.staff_id
        assert signal.acknowledge_note == "Called the patient; safety plan agreed"
    (timing,) = acknowledge_times(db, since=NOW - dt.timedelta(days=1))
    assert timing.time_to_acknowledge == dt.timedelta(hours=3)


def test_risk_signal_cannot_be_acknowledged_without_saying_what_was_done(db: Database) -> None:
    world, who = _setup(db)
    signal_id = add_signal(db, world)
    with pytest.raises(SignalActionRefused) as refused:
        acknowledge_signal(db, who, signal_id, "   ", now=NOW)
    assert refused.value.reason is SignalActionError.NOTE_REQUIRED


def test_risk_signal_must_be_acknowledged_before_it_is_resolved(db: Database) -> None:
    world, who = _setup(db)
    signal_id = add_signal(db, world)
    with pytest.raises(SignalActionRefused) as refused:
        resolve_signal(db, who, signal_id, None, now=NOW)
    assert refused.value.reason is SignalActionError.RISK_NOT_ACKNOWLEDGED
    acknowledge_signal(db, who, signal_id, "Talked in session", now=NOW)
    assert (
        resolve_signal(db, who, signal_id, "Safety plan in place", now=NOW).resolved_at is not None
    )


def test_other_signals_can_be_resolved_directly_with_a_short_note(db: Database) -> None:
    world, who = _setup(db)
    signal_id = add_signal(db, world, SignalCode.ALLIANCE_DROP, instrument_id="wai_sr")
    state = resolve_signal(
        db, who, signal_id, "Discussed; agreed to change the session time", now=NOW
    )
    assert state.acknowledged_at is not None and state.resolved_at is not None


def test_a_note_longer_than_500_characters_is_refused(db: Database) -> None:
    world, who = _setup(db)
    signal_id = add_signal(db, world, SignalCode.NOT_ON_TRACK)
    with pytest.raises(SignalActionRefused) as refused:
        acknowledge_signal(db, who, signal_id, "x" * 501, now=NOW)
    assert refused.value.reason is SignalActionError.NOTE_TOO_LONG


def test_someone_elses_signal_is_not_found(db: Database) -> None:
    world, _who = _setup(db)
    signal_id = add_signal(db, world)
    stranger = viewer(make_staff(db, (Role.THERAPIST, world.unit_id)))
    for action in (acknowledge_signal, resolve_signal):
        with pytest.raises(SignalActionRefused) as refused:
            action(db, stranger, signal_id, "note", now=NOW)
        assert refused.value.reason is SignalActionError.NOT_FOUND


def test_overdue_risk_signals_are_escalated_once(db: Database) -> None:
    world, who = _setup(db)
    overdue = add_signal(db, world, raised_at=NOW - dt.timedelta(hours=25))
    add_signal(db, world, raised_at=NOW - dt.timedelta(hours=1))
    handled = add_signal(db, world, raised_at=NOW - dt.timedelta(hours=30))
    acknowledge_signal(db, who, handled, "Seen", now=NOW)
    after = dt.timedelta(hours=24)
    assert escalate_overdue_risk_signals(db, after=after, now=NOW) == 1
    assert escalate_overdue_risk_signals(db, after=after, now=NOW + dt.timedelta(hours=1)) == 0
    with db.session() as session:
        escalated = session.scalars(select(Signal.id).where(Signal.escalated_at.is_not(None)))
        assert list(escalated) == [overdue]


def test_samvalg_decision_is_linked_to_its_signal_and_visible_to_the_patient(
    db: Database,
) -> None:
    world, who = _setup(db)
    signal_id = add_signal(db, world, SignalCode.NOT_ON_TRACK)
    draft = DecisionDraft(
        options_discussed="Continue as now; add a group; change the focus",
        what_matters="Being able to work again",
        decision="Add the group for eight weeks",
        review_on=TODAY + dt.timedelta(weeks=8),
        signal_id=signal_id,
    )
    record_decision(db, who, world.episode_id, draft, today=TODAY, now=NOW)
    record_decision(
        db,
        who,
        world.episode_id,
        DecisionDraft("Private note", "Not for the patient", visible_to_patient=False),
        today=TODAY,
        now=NOW,
    )
    (shown,) = decisions_for_patient(db, world.episode_id)
    assert shown.decision == "Add the group for eight weeks"
    assert shown.from_signal and shown.review_on == TODAY + dt.timedelta(weeks=8)


def test_samvalg_refuses_empty_text_a_past_review_date_and_a_foreign_signal(
    db: Database,
) -> None:
    world, who = _setup(db)
    other = make_world(db)
    foreign = add_signal(db, other)
    cases = [
        (DecisionDraft(" ", "x"), DecisionError.MISSING_TEXT),
        (
            DecisionDraft("a", "b", review_on=TODAY - dt.timedelta(days=1)),
            DecisionError.REVIEW_IN_PAST,
        ),
        (DecisionDraft("a", "b", signal_id=foreign), DecisionError.SIGNAL_NOT_IN_EPISODE),
    ]
    for draft, reason in cases:
        with pytest.raises(DecisionRefused) as refused:
            record_decision(db, who, world.episode_id, draft, today=TODAY, now=NOW)
        assert refused.value.reason is reason
    with pytest.raises(DecisionRefused) as refused:
        record_decision(db, who, other.episode_id, DecisionDraft("a", "b"), today=TODAY, now=NOW)
    assert refused.value.reason is DecisionError.NOT_FOUND
