"""Retention: the scheduler's clean-up deletes old link tokens and one-time codes and blanks the
provider details of old messages; the database owner purges access-log rows past their limit,
and the access log still refuses every other delete (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError

from fit_platform.config import RetentionSettings
from fit_platform.db import Database
from fit_platform.db.models import AccessLog, InvitationToken, OneTimeCode, OutboxMessage
from fit_platform.db.session import make_engine
from fit_platform.domain.codes import Channel, MessageKind, OutboxState, Role
from fit_platform.scheduler.clock import jobs
from fit_platform.services.access_log import record_access
from fit_platform.services.retention import (
    PurgeRefused,
    access_log_cutoff,
    apply_retention,
    purge_access_log,
)
from tests.conftest import _empty_postgres
from tests.support.factories import World, make_invitation, make_world

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
LIMITS = RetentionSettings(
    link_tokens=dt.timedelta(days=30),
    outbox_details=dt.timedelta(days=90),
    one_time_codes=dt.timedelta(days=1),
    access_log_years=10,
)


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _message(db: Database, world: World, *, sent_days_ago: int, state: OutboxState) -> int:
    at = NOW - dt.timedelta(days=sent_days_ago)
    with db.transaction() as session:
        row = OutboxMessage(
            dedupe_key=f"test:{uuid.uuid4()}",
            patient_id=world.patient_id,
            kind=MessageKind.INVITATION,
            channel=Channel.SMS,
            state=state,
            created_at=at,
            sent_at=at if state is OutboxState.SENT else None,
            provider_ref="gateway-42",
            last_error="550 no such user patient@example.org"
            if state is OutboxState.FAILED
            else None,
        )
        session.add(row)
        session.flush()
        return row.id


def _code(db: Database, world: World, *, expired_days_ago: float) -> None:
    expires = NOW - dt.timedelta(days=expired_days_ago)
    with db.transaction() as session:
        session.add(
            OneTimeCode(
                patient_id=world.patient_id,
                code_hash="x" * 64,
                created_at=expires - dt.timedelta(minutes=10),
                expires_at=expires,
            )
        )


def test_clean_up_deletes_old_links_and_codes_and_blanks_old_message_details_only(
    db: Database,
) -> None:
    world = make_world(db)
    old, _ = make_invitation(db, world, due_at=NOW - dt.timedelta(days=40))  # expired 38 days
    recent, _ = make_invitation(db, world, due_at=NOW - dt.timedelta(days=20))  # 18 days
    old_sent = _message(db, world, sent_days_ago=91, state=OutboxState.SENT)
    old_failed = _message(db, world, sent_days_ago=120, state=OutboxState.FAILED)
    recent_sent = _message(db, world, sent_days_ago=30, state=OutboxState.SENT)
    old_queued = _message(db, world, sent_days_ago=100, state=OutboxState.QUEUED)
    _code(db, world, expired_days_ago=2)
    _code(db, world, expired_days_ago=0.5)

    result = apply_retention(db, NOW, LIMITS)

    assert (result.link_tokens_deleted, result.outbox_rows_blanked) == (1, 2)
    assert result.one_time_codes_deleted == 1
    with db.session() as session:
        tokens = set(session.scalars(select(InvitationToken.invitation_id)))
        assert tokens == {recent.id}
        assert old.id not in tokens
        rows = {row.id: row for row in session.scalars(select(OutboxMessage))}
    for blanked in (old_sent, old_failed):
        assert rows[blanked].provider_ref is None and rows[blanked].last_error is None
    # The row and its state stay for the delivery figures.
    assert rows[old_sent].state is OutboxState.SENT and rows[old_sent].sent_at is not None
    assert rows[old_failed].state is OutboxState.FAILED
    assert rows[recent_sent].provider_ref == "gateway-42"
    # A message that may still be sent keeps what the dispatcher needs.
    assert rows[old_queued].provider_ref == "gateway-42"
    assert _count(db, OneTimeCode) == 1
    # Running again finds nothing more to do.
    again = apply_retention(db, NOW, LIMITS)
    assert (again.link_tokens_deleted, again.outbox_rows_blanked) == (0, 0)


def test_the_scheduler_clean_up_job_applies_retention_at_its_own_clock(db: Database) -> None:
    world = make_world(db)
    make_invitation(db, world, due_at=NOW - dt.timedelta(days=10))
    short = RetentionSettings(link_tokens=dt.timedelta(days=1))
    clean_up = jobs(db, None, clock=lambda: NOW, retention_limits=short)["clean_up"]
    clean_up()
    assert _count(db, InvitationToken) == 0


def _access_rows(db: Database, world: World, ages_in_days: list[int]) -> None:
    with db.transaction() as session:
        for days in ages_in_days:
            record_access(
                session,
                staff_id=world.therapist_id,
                role=Role.THERAPIST,
                patient_id=world.patient_id,
                unit_id=world.unit_id,
                action="presession_view",
                now=NOW - dt.timedelta(days=days),
            )


def test_the_owner_purges_only_access_log_rows_past_the_limit_and_the_guard_stays(
    db: Database,
) -> None:
    world = make_world(db)
    eleven_years, nine_years = 11 * 366, 9 * 365
    _access_rows(db, world, [eleven_years, eleven_years, nine_years, 3])
    assert apply_retention(db, NOW, LIMITS).access_log_rows_due == 2

    assert purge_access_log(db.engine, NOW, years=10) == 2

    with db.session() as session:
        left = sorted(session.scalars(select(AccessLog.at)))
    assert len(left) == 2
    assert all(at >= access_log_cutoff(NOW, 10) for at in left)
    # The trigger is back: the application still cannot delete a single row.
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
        session.execute(delete(AccessLog))
    assert _count(db, AccessLog) == 2
    assert apply_retention(db, NOW, LIMITS).access_log_rows_due == 0


def test_a_29_february_cutoff_falls_on_28_february() -> None:
    leap = dt.datetime(2028, 2, 29, 12, tzinfo=dt.UTC)
    assert access_log_cutoff(leap, 3) == dt.datetime(2025, 2, 28, 12, tzinfo=dt.UTC)


def test_the_application_role_cannot_purge_the_access_log_on_postgresql(
    postgres_url: str,
) -> None:
    owner = Database(postgres_url)
    try:
        world = make_world(owner)
        _access_rows(owner, world, [11 * 366])
        role = "fit_app_retention_test"
        with owner.engine.begin() as connection:
            exists = connection.scalar(
                text("SELECT count(*) FROM pg_roles WHERE rolname = :name"), {"name": role}
            )
            if not exists:
                connection.execute(text(f"CREATE ROLE {role} LOGIN"))
            connection.execute(
                text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON access_log TO {role}")
            )
        app_url = postgres_url.replace("postgres@", f"{role}@", 1)
        app_engine = make_engine(app_url)
        try:
            with pytest.raises(PurgeRefused, match="owner"):
                purge_access_log(app_engine, NOW, years=10)
            # Nor can it delete the rows directly: the trigger refuses.
            with pytest.raises(DBAPIError, match="append-only"), app_engine.begin() as connection:
                connection.execute(text("DELETE FROM access_log"))
        finally:
            app_engine.dispose()
        assert _count(owner, AccessLog) == 1
    finally:
        owner.dispose()
        _empty_postgres(postgres_url)
