"""Hostile requests at every route of the URL map and every form of every page, as every role
(anonymous, a patient with an open link, therapist, unit lead, service developer,
administrator), on a real database: never a 5xx, never an error in the log, never a redirect
off the site, and nothing already saved is changed.

How many requests: a sweep of one plain request per URL rule, method and real id (about 80 per
role), then FIT_FUZZ_EXAMPLES drawn requests per role on SQLite (default 1 000: about 7 000 on
SQLite a run with the sweep) and a sixth of that on PostgreSQL (about 2 000 more with its
sweep). The examples are derandomised (the same every run); FIT_FUZZ_SEED=<n> draws a different
set; a failure prints the request and a @reproduce_failure blob. See docs/security.md, "The
fuzz suite".
"""

from __future__ import annotations

import io
import logging
import os

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fit_platform.db.models import ConsentEvent, ItemAnswer, Response
from fit_platform.domain.codes import Actor, ConsentEventKind, ResponseStatus
from fit_platform.logging_setup import JsonFormatter
from tests.fuzz.attack import (
    COMMON_NAMES,
    ErrorRecords,
    FuzzRequest,
    requests_for,
    send,
    sweep,
)
from tests.fuzz.forms import Form
from tests.fuzz.world import (
    ROLES,
    FuzzWorld,
    assert_nothing_saved_was_lost,
    protected_snapshot,
)

EXAMPLES = int(os.environ.get("FIT_FUZZ_EXAMPLES", "1000"))
SEED = os.environ.get("FIT_FUZZ_SEED")


def _run(
    world: FuzzWorld,
    forms: dict[str, list[Form]],
    role: str,
    backend: str,
    errors: ErrorRecords,
    examples: int,
) -> None:
    names = sorted({name for found in forms.values() for f in found for name in f.fields})
    names += COMMON_NAMES

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(request=st.deferred(lambda: requests_for(role, world, forms[role], names)))
    def attack(request: FuzzRequest) -> None:
        send(world, request, errors, backend)

    if SEED is not None:
        attack = seed(int(SEED))(attack)
    attack()


@pytest.mark.parametrize("role", ROLES)
def test_no_request_as_any_role_gets_a_server_error_or_changes_saved_answers(
    fuzz_world: tuple[str, FuzzWorld, dict[str, list[Form]]],
    error_records: ErrorRecords,
    role: str,
) -> None:
    backend, world, forms = fuzz_world
    examples = EXAMPLES if backend == "sqlite" else max(EXAMPLES // 6, 50)
    before = protected_snapshot(world)
    for request in sweep(role, world):
        send(world, request, error_records, backend)
    _run(world, forms, role, backend, error_records, examples)
    assert_nothing_saved_was_lost(before, protected_snapshot(world))


def test_the_fuzz_reaches_every_route_and_finds_the_forms(
    fuzz_world: tuple[str, FuzzWorld, dict[str, list[Form]]],
    error_records: ErrorRecords,
) -> None:
    """A guard on the suite itself: it must see the whole URL map and real forms per role.

    It sends the sweep of every role itself and counts what those requests reached, rather
    than reading what the other tests of the run sent: alone, first or in any order, it
    checks the same thing."""
    backend, world, forms = fuzz_world
    reached = {
        send(world, request, error_records, backend)
        for role in ROLES
        for request in sweep(role, world)
    }
    rules = {rule.endpoint for rule in world.app.url_map.iter_rules()}
    assert rules <= reached, f"never reached: {sorted(rules - reached)}"
    assert {"patient.answer", "episodes.schedule", "admin.audit", "export.aggregates"} <= rules
    assert any(f.action.startswith("/p/answer/") for f in forms["patient"])
    assert any("/schedule" in f.action for f in forms["therapist"])
    assert any(f.action == "/staff/login" for f in forms["anonymous"])
    assert all(
        f.csrf_field for role in ("therapist", "admin") for f in forms[role] if f.method == "POST"
    )


def test_the_check_of_saved_data_notices_a_changed_answer_or_consent(
    fuzz_world: tuple[str, FuzzWorld, dict[str, list[Form]]],
) -> None:
    """A guard on the suite itself: the before/after comparison must be able to fail."""
    _backend, world, _forms = fuzz_world
    before = protected_snapshot(world)
    with world.db.transaction() as session:
        answer = session.scalars(
            select(ItemAnswer)
            .join(Response)
            .where(Response.status == ResponseStatus.SUBMITTED)
            .order_by(ItemAnswer.id)
        ).first()
        assert answer is not None
        kept = answer.value
        answer.value = (kept or 0) + 1
    with pytest.raises(AssertionError, match="answers changed"):
        assert_nothing_saved_was_lost(before, protected_snapshot(world))
    with world.db.transaction() as session:
        session.get_one(ItemAnswer, answer.id).value = kept
    with world.db.transaction() as session:
        session.add(
            ConsentEvent(
                patient_id=world.other.patient_id, kind=ConsentEventKind.STOPPED, actor=Actor.STAFF
            )
        )
    with pytest.raises(AssertionError):
        assert_nothing_saved_was_lost(before, protected_snapshot(world))


def test_a_log_line_that_cannot_be_written_fails_instead_of_being_printed(
    error_records: ErrorRecords,
) -> None:
    """Without the fixture the app's JSON handler prints "--- Logging error ---" and the
    request succeeds (pytest's own capture handler raises too, but only for what it captures)."""
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonFormatter())
    record = logging.LogRecord("fit_platform.fuzz", logging.INFO, "", 0, "%d", ("x",), None)
    with pytest.raises(RuntimeError, match="could not be written"):
        handler.handle(record)
