"""Two people acting on the same signals at the same moment, on PostgreSQL as production runs
it (READ COMMITTED: each statement sees what was committed when it started).

The first acts through the service; exactly between two of its statements a colleague, on
another connection (another web worker), acts on the same signals. Before, the first went on
with what it had read: the second of two acknowledgements replaced the first's note, a samvalg
record replaced a colleague's note on its signal, and a samvalg withdrawal took the
acknowledgement off a risk signal a colleague had just resolved. Now each waits for the
other (`signal_workflow.hold_episode_signals`) and acts on what the other left. The journal
summary, which reads in two transactions, lists a signal a colleague resolved in between once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select

from fit_platform.db import Database
from fit_platform.db.models import Signal
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services.access_control import StaffViewer
from fit_platform.services.journal_summary import journal_summary
from fit_platform.services.samvalg import DecisionDraft, record_decision
from fit_platform.services.samvalg_changes import withdraw_decision
from fit_platform.services.signal_workflow import (
    SignalActionError,
    SignalActionRefused,
    acknowledge_signal,
    resolve_signal,
)
from tests.support.clinical import add_signal
from tests.support.factories import World, make_staff, make_world
from tests.support.lock_wait import waits_for_a_lock

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _episode_with_a_signal(
    db: Database, code: SignalCode = SignalCode.RISK_ANSWER
) -> tuple[World, StaffViewer, StaffViewer, int]:
    """An episode with one open signal raised the day before; its therapist and unit lead."""
    world = make_world(db)
    therapist = StaffViewer(world.therapist_id, frozenset({(Role.THERAPIST, world.unit_id)}))
    staff = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Lise Leder")
    lead = StaffViewer(staff.id, frozenset({(Role.UNIT_LEAD, world.unit_id)}))
    return world, therapist, lead, add_signal(db, world, code, raised_at=NOW - dt.timedelta(days=1))


@contextmanager
def colleague_between(
    db: Database, marker: str, act: Callable[[Database], object]
) -> Iterator[list[object]]:
    """While the block runs: after the first statement containing `marker` on `db`, the
    colleague's `act` starts on a connection of its own and runs until it finishes or waits
    for a lock; then the first statement's transaction goes on. Yields what `act` returned
    or raised, once the block is over."""
    outcome: list[object] = []
    colleague = Database(db.url)
    threads: list[threading.Thread] = []

    def run() -> None:
        try:
            outcome.append(act(colleague))
        except Exception as error:  # the colleague's refusal is a result here
            outcome.append(error)

    def between(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if marker not in statement or threads:
            return
        thread = threading.Thread(target=run)
        threads.append(thread)
        thread.start()
        watcher = create_engine(db.url)
        try:
            waits_for_a_lock(watcher, thread)
        finally:
            watcher.dispose()

    event.listen(db.engine, "after_cursor_execute", between)
    try:
        yield outcome
    finally:
        event.remove(db.engine, "after_cursor_execute", between)
        for thread in threads:
            thread.join(timeout=20)
        colleague.dispose()
    assert threads, f"no statement with {marker!r} ran"


def _stored(db: Database, signal_id: int) -> Signal:
    with db.session() as session:
        return session.get_one(Signal, signal_id)


@on_postgresql
def test_two_acknowledgements_at_once_keep_the_first_note_and_refuse_the_second(
    db: Database,
) -> None:
    world, therapist, lead, signal_id = _episode_with_a_signal(db)
    lead_note = "Ringte pasienten, laget sikkerhetsplan"

    def lead_acknowledges(other: Database) -> object:
        return acknowledge_signal(other, lead, signal_id, lead_note, now=NOW)

    # Between the therapist's reads of the signal and of its flag.
    with colleague_between(db, "signal.raised_at <", lead_acknowledges) as lead_got:
        acknowledge_signal(db, therapist, signal_id, "Ringer i morgen", now=NOW)

    stored = _stored(db, signal_id)
    assert (stored.acknowledged_by_id, stored.acknowledge_note) == (
        world.therapist_id,
        "Ringer i morgen",
    )
    # The lead waited, then found it acknowledged: told so, her note not written over it.
    (refused,) = lead_got
    assert isinstance(refused, SignalActionRefused)
    assert refused.reason is SignalActionError.ALREADY_ACKNOWLEDGED


@on_postgresql
def test_a_samvalg_record_saved_while_a_colleague_acknowledges_keeps_her_note(
    db: Database,
) -> None:
    world, therapist, lead, signal_id = _episode_with_a_signal(db)

    def therapist_records(other: Database) -> object:
        draft = DecisionDraft("Samtaler hver uke", "Fortsette", signal_id=signal_id)
        return record_decision(other, therapist, world.episode_id, draft, today=NOW.date(), now=NOW)

    # The lead's acknowledgement has written the signal and not yet committed.
    with colleague_between(db, "UPDATE signal SET", therapist_records) as recorded:
        acknowledge_signal(db, lead, signal_id, "Leder ringte pasienten", now=NOW)

    assert isinstance(recorded[0], int)  # the record is saved
    stored = _stored(db, signal_id)
    assert (stored.acknowledged_by_id, stored.acknowledge_note) == (
        lead.staff_id,
        "Leder ringte pasienten",
    )


@on_postgresql
def test_a_withdrawal_and_a_colleagues_resolve_at_once_never_leave_a_resolved_risk_unacknowledged(
    db: Database,
) -> None:
    world, therapist, lead, signal_id = _episode_with_a_signal(db)
    draft = DecisionDraft("Samtaler hver uke", "Fortsette", signal_id=signal_id)
    decision_id = record_decision(db, therapist, world.episode_id, draft, today=NOW.date(), now=NOW)
    later = NOW + dt.timedelta(minutes=1)

    def lead_resolves(other: Database) -> object:
        return resolve_signal(other, lead, signal_id, "Avsluttet", now=later)

    # Right after the withdrawal found the signals its record acknowledged.
    with colleague_between(db, "signal.acknowledged_at =", lead_resolves) as lead_got:
        reopened = withdraw_decision(
            db, therapist, world.episode_id, decision_id, "Feil pasient", now=later
        )

    assert reopened == 1
    stored = _stored(db, signal_id)
    assert stored.acknowledged_at is None and stored.resolved_at is None  # waiting again
    (refused,) = lead_got
    assert isinstance(refused, SignalActionRefused)
    assert refused.reason is SignalActionError.RISK_NOT_ACKNOWLEDGED


def test_the_journal_summary_lists_a_signal_resolved_while_it_reads_once(db: Database) -> None:
    world, therapist, lead, signal_id = _episode_with_a_signal(db, SignalCode.NOT_ON_TRACK)
    resolved: list[bool] = []

    def colleague_resolves(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The summary's second transaction starts with the patient's record id.
        if "external_id" in statement and not resolved:
            resolved.append(True)
            resolve_signal(db, lead, signal_id, "Tatt opp i samtalen", now=NOW)

    event.listen(db.engine, "before_cursor_execute", colleague_resolves)
    try:
        summary = journal_summary(
            db,
            therapist,
            world.episode_id,
            language="nb",
            now=NOW,
            escalation_after=dt.timedelta(hours=24),
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", colleague_resolves)
    assert resolved and summary is not None
    assert [signal.id for signal in summary.view.open_signals] == [signal_id]
    assert summary.resolved_signals == ()  # not also "resolved … by" in the text for the EPR
    with db.session() as session:  # and the next summary lists it as resolved
        assert session.scalar(select(Signal.resolved_at).where(Signal.id == signal_id))
