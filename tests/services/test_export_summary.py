"""The export read from the summary of closed months (plus the rows after it) gives exactly
the figures computed directly from the rows (the reference export in
tests/support/export_reference), on a random history: right after the summary is built, with
rows that arrive after it (a late answer and a late invitation imported into a summarised
month, a new episode, an invitation closed after the watermark), after the next runs (which
rebuild or add months), and after a patient's feedback is erased. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select, update

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    ExportSummaryState,
    Invitation,
    InvitationMonth,
    Patient,
    Response,
    ResponseMonth,
    ResponseSpan,
    Unit,
)
from fit_platform.domain.codes import (
    EpisodeStatus,
    InvitationState,
    Language,
    ResponseStatus,
    Role,
)
from fit_platform.services import patient_data
from fit_platform.services.export import Period, refresh_export_summary, service_aggregates
from fit_platform.services.export.summary import OPEN_STATES
from tests.support.export_history import DAYS, FIRST_DAY, random_history
from tests.support.export_reference.queries import reference_aggregates
from tests.support.factories import make_staff
from tests.support.scheduling import OSLO

UTC = dt.UTC
NOW = dt.datetime(2026, 8, 7, 12, tzinfo=UTC)
# Open invitations before this are closed, so the summary reaches February 2026.
CLOSED_BEFORE = dt.datetime(2026, 2, 15, tzinfo=UTC)
START, END = FIRST_DAY.date(), (FIRST_DAY + dt.timedelta(days=DAYS)).date()


def _same_as_from_the_rows(db: Database, seed: int, end: dt.date = END) -> None:
    with db.session() as session:
        one_unit = session.scalar(select(Unit.id).where(Unit.code == f"eq-{seed}-2"))
    for period in ("month", "quarter"):
        chosen: Period = period
        for unit_id in (None, one_unit):
            summarised = service_aggregates(
                db, period=chosen, start=START, end=end, unit_id=unit_id
            )
            direct = reference_aggregates(db, period=chosen, start=START, end=end, unit_id=unit_id)
            assert len(summarised) == len(direct) > 0
            for summarised_row, direct_row in zip(summarised, direct, strict=True):
                assert summarised_row == direct_row


def _close_open_invitations(db: Database, before: dt.datetime) -> None:
    with db.transaction() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.state.in_(OPEN_STATES), Invitation.due_at < before)
            .values(state=InvitationState.EXPIRED, non_response_reason="not_opened")
        )


def _summary_rows(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(InvitationMonth)) or 0,
            session.scalar(select(func.count()).select_from(ResponseMonth)) or 0,
        )


def _response(episode_id: int, instrument_id: str, at: dt.datetime, total: float) -> dict[str, Any]:
    return {
        "episode_id": episode_id,
        "instrument_id": instrument_id,
        "instrument_version": "1.0.0",
        "language": Language.BOKMAAL,
        "status": ResponseStatus.SUBMITTED,
        "started_at": at,
        "submitted_at": at,
        "scoring_version": "1.0.0",
        "scorable": True,
        "total": total,
        "risk": False,
    }


def _invitation(
    episode_id: int, key: str, at: dt.datetime, state: InvitationState
) -> dict[str, Any]:
    return {
        "episode_id": episode_id,
        "instrument_id": "phq9",
        "slot_key": key,
        "state": state,
        "due_at": at,
        "expires_at": at + dt.timedelta(hours=48),
        "sent_at": at,
        "non_response_reason": None if state is InvitationState.COMPLETED else "not_opened",
        "created_at": at,
    }


def test_the_summary_gives_the_figures_computed_from_the_rows(db: Database) -> None:
    random_history(db, 3)
    _close_open_invitations(db, CLOSED_BEFORE)

    run = refresh_export_summary(db, NOW)

    assert run.rebuilt and run.through == dt.datetime(2026, 2, 1, tzinfo=UTC)
    invitation_months, response_months = _summary_rows(db)
    assert invitation_months > 100 and response_months > 100
    _same_as_from_the_rows(db, 3)
    # A range that ends before the watermark reads the summarised months up to its end.
    _same_as_from_the_rows(db, 3, end=dt.date(2025, 12, 15))


def test_rows_after_the_summary_are_read_live_and_summarised_by_the_next_runs(
    db: Database,
) -> None:
    random_history(db, 4)
    _close_open_invitations(db, CLOSED_BEFORE)
    first = refresh_export_summary(db, NOW)
    assert first.through == dt.datetime(2026, 2, 1, tzinfo=UTC)
    assert first.through is not None
    with db.transaction() as session:
        episode_id = session.scalar(select(func.min(Episode.id)))
        assert episode_id is not None
        unit_id = session.scalar(select(func.min(Unit.id)).where(Unit.code == "eq-4-2"))
        patients = session.scalars(
            insert(Patient.__table__).returning(Patient.__table__.c.id),
            [{"display_name": f"Late {n}", "created_at": FIRST_DAY} for n in range(6)],
        ).all()
        new_episodes = session.scalars(
            insert(Episode.__table__).returning(Episode.__table__.c.id),
            [
                {
                    "patient_id": patient_id,
                    "unit_id": unit_id,
                    "status": EpisodeStatus.ENDED,
                    "started_on": FIRST_DAY.date(),
                    "created_at": FIRST_DAY,
                }
                for patient_id in patients
            ],
        ).all()
        late = dt.datetime(2025, 11, 20, 9, tzinfo=UTC)  # a summarised month
        responses = [
            # A late answer and a late alliance score imported into a summarised month,
            # one of them earlier than every score the episode had.
            _response(episode_id, "phq9", late, 3.0),
            _response(episode_id, "gad7", FIRST_DAY - dt.timedelta(days=3), 20.0),
            _response(episode_id, "wai_sr", late, 51.0),
        ]
        invitations = [_invitation(episode_id, "late", late, InvitationState.COMPLETED)]
        for n, new_episode in enumerate(new_episodes):
            # New episodes with scores before and after the watermark, and invitations.
            for week, at in enumerate((late, late + dt.timedelta(days=100 + n))):
                responses.append(_response(new_episode, "phq9", at, 20.0 - 8 * week - n))
                responses.append(_response(new_episode, "wai_sr", at, 40.0 + n))
                invitations.append(
                    _invitation(new_episode, f"new{week}", at, InvitationState.COMPLETED)
                )
        session.execute(insert(Response.__table__), responses)
        session.execute(insert(Invitation.__table__), invitations)
    # An invitation closed after the watermark: the earliest one still open.
    with db.transaction() as session:
        earliest = session.scalars(
            select(Invitation)
            .where(Invitation.state.in_(OPEN_STATES))
            .order_by(Invitation.due_at, Invitation.id)
            .limit(1)
        ).one()
        assert earliest.due_at >= first.through
        earliest.state, earliest.non_response_reason = InvitationState.DECLINED, "declined"

    # Read live: behind the watermark by id, or after it in time.
    _same_as_from_the_rows(db, 4)

    second = refresh_export_summary(db, NOW)
    assert second.rebuilt  # rows arrived behind the watermark
    assert second.through is not None and second.through >= first.through
    _same_as_from_the_rows(db, 4)

    _close_open_invitations(db, NOW)
    third = refresh_export_summary(db, NOW)
    assert third.added_months and not third.rebuilt
    assert third.through == dt.datetime(2026, 8, 1, tzinfo=UTC)
    _same_as_from_the_rows(db, 4)

    # Nothing new: nothing to do.
    assert refresh_export_summary(db, NOW) == type(third)(third.through)
    # Two days into a month, the month before is not summarised yet.
    assert refresh_export_summary(db, dt.datetime(2026, 8, 2, 23, tzinfo=UTC)).through == (
        dt.datetime(2026, 7, 1, tzinfo=UTC)
    )
    _same_as_from_the_rows(db, 4)


def test_an_erased_patient_leaves_the_summary_with_their_responses(db: Database) -> None:
    random_history(db, 5)
    _close_open_invitations(db, NOW)
    refresh_export_summary(db, NOW)
    with db.transaction() as session:
        patient_id, unit_id = session.execute(
            select(Episode.patient_id, Episode.unit_id)
            .join(ResponseMonth, ResponseMonth.episode_id == Episode.id)
            .order_by(Episode.patient_id)
            .limit(1)
        ).one()
        session.get_one(Patient, patient_id).external_id = "ERASE-0001"
        episodes = select(Episode.id).where(Episode.patient_id == patient_id)
    admin = make_staff(db, (Role.ADMIN, None))

    patient_data.erase_feedback(
        db,
        patient_id=patient_id,
        unit_id=unit_id,
        staff_id=admin.id,
        confirmation="ERASE-0001",
        reason="Asked in writing",
        now=NOW,
        zone=OSLO,
    )

    with db.session() as session:
        for table in (ResponseMonth, ResponseSpan):
            left = session.scalar(
                select(func.count()).select_from(table).where(table.episode_id.in_(episodes))
            )
            assert left == 0
        assert session.get(ExportSummaryState, 1) is not None
    _same_as_from_the_rows(db, 5)


def test_an_invitation_a_pause_cancelled_holds_the_watermark_while_a_restart_can_reopen_it(
    db: Database,
) -> None:
    random_history(db, 6)
    _close_open_invitations(db, NOW)
    assert refresh_export_summary(db, NOW).through == dt.datetime(2026, 8, 1, tzinfo=UTC)
    due = dt.datetime(2026, 6, 20, 9, tzinfo=UTC)
    with db.transaction() as session:
        episode_id = session.scalar(select(func.min(Episode.id)))
        assert episode_id is not None
        paused = _invitation(episode_id, "paused", due, InvitationState.CANCELLED)
        paused.update(
            non_response_reason="paused_by_patient", expires_at=NOW + dt.timedelta(days=1)
        )
        session.execute(insert(Invitation.__table__), [paused])
    # Not final while a restart may reopen it: the summary goes back to before its month.
    run = refresh_export_summary(db, NOW)
    assert run.rebuilt and run.through == dt.datetime(2026, 6, 1, tzinfo=UTC)
    _same_as_from_the_rows(db, 6)
    # Once its window has closed, nothing can reopen it and the months are summarised.
    later = NOW + dt.timedelta(days=2)
    assert refresh_export_summary(db, later).through == dt.datetime(2026, 8, 1, tzinfo=UTC)
    _same_as_from_the_rows(db, 6)
