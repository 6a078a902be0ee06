"""The export's measures against numbers worked out by hand on six patients (SQLite and
PostgreSQL): invitations and why they went unanswered, first and latest scores, reliable change
and recovery per questionnaire, and the paired NHS Talking Therapies recovery."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.models import ConsentEvent, Invitation, Signal
from fit_platform.domain.codes import Actor, ConsentEventKind, InvitationState, Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services.export import AggregateRow, service_aggregates
from tests.support.factories import World, add_history, make_invitation, make_staff, make_unit
from tests.support.factories import make_world as _make_world

JUNE = dt.datetime(2026, 6, 10, 8, tzinfo=dt.UTC)
COMPLETED, EXPIRED = InvitationState.COMPLETED, InvitationState.EXPIRED
DECLINED, CANCELLED = InvitationState.DECLINED, InvitationState.CANCELLED

# PHQ-9 first → latest, GAD-7 first → latest, and two invitations (state, non-response reason).
Invited = list[tuple[InvitationState, str | None]]
PATIENTS: list[tuple[tuple[int, int], tuple[int, int], Invited]] = [
    ((20, 8), (15, 5), [(COMPLETED, None), (COMPLETED, None)]),
    ((18, 12), (10, 6), [(COMPLETED, None), (EXPIRED, "not_opened")]),
    ((12, 9), (9, 7), [(COMPLETED, None), (EXPIRED, "opened_not_completed")]),
    ((8, 15), (5, 11), [(DECLINED, "declined_by_patient"), (COMPLETED, None)]),
    ((14, 14), (12, 12), [(CANCELLED, "paused_by_patient"), (COMPLETED, None)]),
    ((11, 5), (8, 9), [(EXPIRED, "not_sent"), (COMPLETED, None)]),
]
# One signal per patient: code, hours to acknowledge, hours to resolve (None: not yet).
SIGNALS = [
    (SignalCode.RISK_ANSWER, 2, 24),
    (SignalCode.RISK_ANSWER, 4, 48),
    (SignalCode.NOT_ON_TRACK, 10, None),
    (SignalCode.RELIABLE_DETERIORATION, None, None),
    (SignalCode.RISK_ANSWER, 1, 6),
    (SignalCode.ALLIANCE_DROP, None, None),
]
# The fifth patient paused feedback in June, the sixth stopped it.
CONSENT = [None, None, None, None, ConsentEventKind.PAUSED, ConsentEventKind.STOPPED]
RAISED = dt.datetime(2026, 6, 2, 8, tzinfo=dt.UTC)


def _hours(hours: int | None) -> dt.datetime | None:
    return None if hours is None else RAISED + dt.timedelta(hours=hours)


def _invite(
    db: Database, world: World, at: dt.datetime, state: InvitationState, reason: str | None
) -> None:
    invitation, _token = make_invitation(db, world, due_at=at, state=state)
    with db.transaction() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id)
            .values(
                non_response_reason=reason,
                sent_at=None if reason == "not_sent" else at,
            )
        )


def _six_patients(db: Database) -> int:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    for (phq9, gad7, invitations), signal, consent in zip(PATIENTS, SIGNALS, CONSENT, strict=True):
        world = _make_world(db, unit=unit, therapist=therapist)
        add_history(db, world, list(phq9), "phq9")
        add_history(db, world, list(gad7), "gad7")
        for day, (state, reason) in enumerate(invitations):
            _invite(db, world, JUNE + dt.timedelta(days=day), state, reason)
        code, acknowledged, resolved = signal
        with db.transaction() as session:
            session.add(
                Signal(
                    episode_id=world.episode_id,
                    code=code.value,
                    severity="high",
                    source_key=f"test:{world.episode_id}",
                    raised_at=RAISED,
                    acknowledged_at=_hours(acknowledged),
                    resolved_at=_hours(resolved),
                )
            )
            if consent is not None:
                session.add(
                    ConsentEvent(
                        patient_id=world.patient_id,
                        kind=consent,
                        actor=Actor.PATIENT,
                        created_at=JUNE + dt.timedelta(days=2),
                    )
                )
    return unit.id


def _rows(db: Database) -> list[AggregateRow]:
    unit_id = _six_patients(db)
    rows = service_aggregates(
        db, period="quarter", start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30), unit_id=unit_id
    )
    assert [(row.programme_code, row.period) for row in rows] == [
        ("none", "2026-Q2"),
        ("all", "2026-Q2"),
    ]
    return rows


def test_invitations_are_counted_by_what_became_of_them_with_the_reasons(db: Database) -> None:
    for row in _rows(db):  # the unit's one row and its total say the same
        assert row.patients_invited.value == 6
        assert row.invitations_sent.value == 11  # the one never sent is not counted
        assert row.invitations_answered.value == 7
        assert row.response_rate.value == round(7 / 11, 3)
        assert row.invitations_expired.value == 3
        assert row.invitations_declined.value == 1
        assert {name: c.value for name, c in row.non_response} == {
            "not_sent": 1,
            "not_opened": 1,
            "opened_not_completed": 1,
            "declined": 1,
            "paused_or_stopped": 1,
            "appointment_changed": 0,
            "unit_archived": 0,
            "episode_closed": 0,
        }


def test_phq9_first_and_latest_scores_reliable_change_and_recovery(db: Database) -> None:
    phq9 = next(o for o in _rows(db)[0].outcomes if o.instrument_id == "phq9")
    assert phq9.patients_with_two_scores.value == 6
    assert phq9.mean_first_score.value == 13.83  # (20 + 18 + 12 + 8 + 14 + 11) / 6
    assert phq9.mean_latest_score.value == 10.5  # (8 + 12 + 9 + 15 + 14 + 5) / 6
    assert phq9.mean_improvement.value == 3.33  # 20 / 6, lower is better
    assert phq9.reliable_improvement.suppressed  # three patients (change of 6 or more)
    assert phq9.reliable_deterioration.suppressed  # one
    assert phq9.recovery_eligible.value == 5  # all but the one who started at 8
    assert phq9.recovery_rate.value == 0.6  # 20 → 8, 12 → 9, 11 → 5
    assert phq9.reliable_recovery_rate.value == 0.4  # 20 → 8, 11 → 5


def test_gad7_first_and_latest_scores_and_recovery_from_eight(db: Database) -> None:
    gad7 = next(o for o in _rows(db)[0].outcomes if o.instrument_id == "gad7")
    assert gad7.mean_first_score.value == 9.83  # 59 / 6
    assert gad7.mean_latest_score.value == 8.33  # 50 / 6
    assert gad7.mean_improvement.value == 1.5
    assert gad7.recovery_eligible.value == 5  # 15, 10, 9, 12, 8
    assert gad7.recovery_rate.value == 0.6  # 15 → 5, 10 → 6, 9 → 7
    assert gad7.reliable_recovery_rate.value == 0.4  # 15 → 5, 10 → 6 (change of 4 or more)


def test_paired_nhs_talking_therapies_recovery_needs_both_below_their_cut_offs(
    db: Database,
) -> None:
    paired = _rows(db)[0].paired
    assert paired is not None
    assert paired.patients.value == 6
    assert paired.at_caseness.value == 5  # all but 8/5 at the start
    # Recovered: 20/15 → 8/5 and 12/9 → 9/7. Not 18/10 → 12/6 (PHQ-9 still 10 or more) nor
    # 11/8 → 5/9 (GAD-7 still 8 or more).
    assert paired.recovery_rate.value == 0.4
    assert paired.reliable_recovery_rate.value == 0.2  # only 20/15 → 8/5 changed reliably too
    assert paired.reliable_improvement.suppressed  # three
    assert paired.reliable_deterioration.suppressed  # one


def test_signals_raised_the_share_acknowledged_and_the_median_hours_to_act(db: Database) -> None:
    row = _rows(db)[0]
    assert row.signals is not None
    assert row.signals.raised.value == 6
    assert row.signals.acknowledged_share.value == round(4 / 6, 3)
    assert row.signals.median_hours_to_acknowledge.value == 3.0  # 1, 2, 4, 10
    assert row.signals.median_hours_to_resolve.value == 24.0  # 6, 24, 48
    assert row.median_hours_to_acknowledge_risk.suppressed  # risk only: three patients


def test_the_share_of_invited_patients_who_paused_or_stopped_feedback(db: Database) -> None:
    assert _rows(db)[0].consent_paused_or_stopped_share.value == round(2 / 6, 3)
