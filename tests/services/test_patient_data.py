"""A patient's data for the administrator: the export holds everything (right of access) and is
access-logged and audited; the erasure removes the feedback data in one transaction, keeps
what documents lawful processing, stops feedback and audits without the erased content."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import ColumnElement, event, func, select

from fit_platform.db import Base, Database
from fit_platform.db.models import (
    AccessLog,
    AdminAudit,
    Appointment,
    ConsentEvent,
    Episode,
    Invitation,
    InvitationToken,
    ItemAnswer,
    OneTimeCode,
    OutboxMessage,
    Patient,
    PatientGoal,
    Response,
    ResponseComment,
    SessionTopic,
    SharedDecision,
    SharedDecisionEarlier,
    Signal,
)
from fit_platform.domain.codes import (
    Channel,
    CommentSource,
    ConsentEventKind,
    ConsentState,
    InvitationState,
    MessageKind,
    OutboxState,
    Role,
)
from fit_platform.services import patient_data, patient_export
from fit_platform.services.access_control import StaffViewer
from fit_platform.services.access_log import record_access
from fit_platform.services.patient_data import ErasureError
from fit_platform.services.samvalg_changes import Correction, correct_decision
from tests.support.clinical import add_consent_event, add_goal, add_signal, add_topic
from tests.support.factories import (
    World,
    add_appointment,
    add_history,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.scheduling import OSLO

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
SECRET_WORDS = "Jeg sover dårlig og gruer meg"


def _count(db: Database, model: type[Base], *where: ColumnElement[bool]) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _patient_with_history(db: Database) -> tuple[World, int]:
    """A patient with answers, comments, goals, topics, a signal, a decision, consent events,
    an access-log row, an open invitation with a queued message and a one-time code."""
    world = make_world(db)
    response_ids = add_history(db, world, [19, 14])
    with db.transaction() as session:
        session.add(
            ResponseComment(
                response_id=response_ids[0],
                episode_id=world.episode_id,
                source=CommentSource.FINISH,
                text=SECRET_WORDS,
            )
        )
    add_goal(db, world, "Sove bedre")
    add_topic(db, world, "Søvn")
    signal_id = add_signal(db, world)
    add_appointment(db, world, NOW + dt.timedelta(days=3))
    add_consent_event(db, world, ConsentEventKind.PAUSED)
    with db.transaction() as session:
        decision = SharedDecision(
            episode_id=world.episode_id,
            signal_id=signal_id,
            options_discussed="Mer søvnhygiene",
            decision="Prøve i to uker",
            recorded_by_id=world.therapist_id,
            version=2,
        )
        session.add(decision)
        session.flush()
        # Corrected once: the words it replaced go with it.
        session.add(
            SharedDecisionEarlier(
                decision_id=decision.id,
                version=1,
                options_discussed="Mer søvnhygiene",
                decision="Prøve i tre uker",
                visible_to_patient=True,
                written_by_id=world.therapist_id,
                written_at=NOW - dt.timedelta(days=2),
                replaced_at=NOW - dt.timedelta(days=1),
            )
        )
        record_access(
            session,
            staff_id=world.therapist_id,
            role=Role.THERAPIST,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            action="presession_view",
            now=NOW - dt.timedelta(days=1),
        )
        session.add(
            OneTimeCode(
                patient_id=world.patient_id,
                code_hash="c" * 64,
                created_at=NOW,
                expires_at=NOW + dt.timedelta(minutes=10),
            )
        )
    invitation, _token = make_invitation(
        db, world, due_at=NOW - dt.timedelta(hours=1), state=InvitationState.SENT
    )
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"{invitation.id}:reminder:1",
                patient_id=world.patient_id,
                invitation_id=invitation.id,
                kind=MessageKind.REMINDER,
                channel=Channel.SMS,
                state=OutboxState.QUEUED,
                next_attempt_at=NOW + dt.timedelta(hours=5),
            )
        )
    admin = make_staff(db, (Role.ADMIN, None))
    return world, admin.id


def test_an_administrator_finds_a_patient_only_by_the_record_id_in_that_unit(
    db: Database,
) -> None:
    world, admin_id = _patient_with_history(db)
    with db.session() as session:
        record_id = session.get_one(Patient, world.patient_id).external_id or ""
    other_unit = make_unit(db)
    found = patient_data.find_patient(
        db, unit_id=world.unit_id, external_id=f"  {record_id} ", staff_id=admin_id, now=NOW
    )
    assert found is not None and found.patient_id == world.patient_id
    assert found.counts["responses"] == 2 and found.counts["comments"] == 1
    assert (
        patient_data.find_patient(
            db, unit_id=other_unit.id, external_id=record_id, staff_id=admin_id, now=NOW
        )
        is None
    )
    # The find is a read of patient data: logged with the admin's role.
    assert _count(db, AccessLog, AccessLog.action == "admin_patient_lookup") == 1


def test_the_export_holds_everything_about_the_patient_and_is_logged_and_audited(
    db: Database,
) -> None:
    world, admin_id = _patient_with_history(db)
    data = patient_export.export_patient(
        db, patient_id=world.patient_id, unit_id=world.unit_id, staff_id=admin_id, now=NOW
    )
    assert data is not None
    json.dumps(data)  # JSON-ready as it is
    assert data["patient"]["phone"] and data["patient"]["record_id"]
    (episode,) = data["episodes"]
    assert [response["total"] for response in episode["responses"]] == [19.0, 14.0]
    assert len(episode["responses"][0]["answers"]) == 10  # nine items and the difficulty one
    assert episode["responses"][0]["comments"][0]["text"] == SECRET_WORDS
    assert episode["goals"][0]["text"] == "Sove bedre"
    assert episode["session_topics"][0]["text"] == "Søvn"
    assert episode["signals"][0]["code"] == "risk_answer"
    assert episode["decisions"][0]["decision"] == "Prøve i to uker"
    assert len(episode["appointments"]) == 1 and len(episode["invitations"]) == 1
    assert [event["kind"] for event in data["consent_history"]] == ["paused"]
    assert data["messages"][0]["kind"] == "reminder"
    actions = [row["action"] for row in data["access_log"]]
    assert actions == ["presession_view", "admin_patient_export"]
    with db.session() as session:
        audit = session.scalars(select(AdminAudit)).one()
    assert (audit.action, audit.target_kind, audit.target_id) == (
        "patient_data_exported",
        "patient",
        world.patient_id,
    )
    assert SECRET_WORDS not in (audit.after or "") and "Sove" not in (audit.after or "")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_correction_made_while_the_export_reads_leaves_no_words_out(db: Database) -> None:
    """The export reads the records, then the words corrections replaced. A correction
    committed between its reads (another connection, PostgreSQL's READ COMMITTED) left the
    replaced words out when the earlier words were read first."""
    world, admin_id = _patient_with_history(db)
    with db.session() as session:
        decision_id = session.scalars(select(SharedDecision.id)).one()
    therapist = StaffViewer(world.therapist_id, frozenset({(Role.THERAPIST, world.unit_id)}))
    corrected: list[bool] = []

    def colleague_corrects(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "shared_decision" in statement and not corrected:
            corrected.append(True)
            correct_decision(
                db,
                therapist,
                world.episode_id,
                decision_id,
                Correction("Mer søvnhygiene", "Prøve i fire uker", None, None, True),
                version=2,
                today=NOW.date(),
                now=NOW,
            )

    event.listen(db.engine, "after_cursor_execute", colleague_corrects)
    try:
        data = patient_export.export_patient(
            db, patient_id=world.patient_id, unit_id=world.unit_id, staff_id=admin_id, now=NOW
        )
    finally:
        event.remove(db.engine, "after_cursor_execute", colleague_corrects)
    assert corrected and data is not None
    (record,) = data["episodes"][0]["decisions"]
    words = [record["decision"]] + [each["decision"] for each in record["earlier_versions"]]
    # The file is as the record was when read: its words then, and every version before them.
    assert words == ["Prøve i to uker", "Prøve i tre uker"]


def test_erasure_removes_the_feedback_data_keeps_the_lawful_record_and_stops_feedback(
    db: Database,
) -> None:
    world, admin_id = _patient_with_history(db)
    with db.session() as session:
        record_id = session.get_one(Patient, world.patient_id).external_id or ""

    result = patient_data.erase_feedback(
        db,
        patient_id=world.patient_id,
        unit_id=world.unit_id,
        staff_id=admin_id,
        confirmation=record_id,
        reason="Patient asked in writing 1 December",
        now=NOW,
        zone=OSLO,
    )

    assert result.erased["responses"] == 2 and result.erased["comments"] == 1
    assert result.cancelled_invitations == 1 and result.cancelled_messages == 1
    for model in (
        Response,
        ItemAnswer,
        ResponseComment,
        PatientGoal,
        SessionTopic,
        Signal,
        SharedDecision,
        SharedDecisionEarlier,
        InvitationToken,
        OneTimeCode,
    ):
        assert _count(db, model) == 0, model.__name__
    with db.session() as session:
        patient = session.get_one(Patient, world.patient_id)
        assert (patient.phone_e164, patient.email) == (None, None)
        assert patient.feedback_erased_at == NOW
        assert patient.consent_state is ConsentState.STOPPED
        assert patient.display_name and patient.external_id == record_id
        invitation = session.scalars(select(Invitation)).one()
        assert invitation.state is InvitationState.CANCELLED
        message = session.scalars(select(OutboxMessage)).one()
        assert message.state is OutboxState.CANCELLED
        kinds = list(session.scalars(select(ConsentEvent.kind).order_by(ConsentEvent.id)))
        audit = session.scalars(select(AdminAudit)).one()
    # Kept: registration, episode, appointments, consent history (plus the stop), access log.
    assert _count(db, Episode) == 1 and _count(db, Appointment) == 1
    assert kinds == [ConsentEventKind.PAUSED, ConsentEventKind.STOPPED]
    assert _count(db, AccessLog) == 1
    assert audit.action == "patient_feedback_erased" and audit.target_id == world.patient_id
    assert audit.reason == "Patient asked in writing 1 December"
    assert json.loads(audit.before or "{}")["responses"] == 2
    stored = f"{audit.before}{audit.after}{audit.reason}"
    for erased_text in (SECRET_WORDS, "Sove bedre", "Prøve", "+4791", "@example.org"):
        assert erased_text not in stored


@pytest.mark.parametrize(
    ("confirmation", "reason", "code"),
    [("EPR-wrong", "Asked by letter", "confirmation"), (None, "   ", "reason")],
)
def test_an_erasure_without_the_right_confirmation_or_a_reason_changes_nothing(
    db: Database, confirmation: str | None, reason: str, code: str
) -> None:
    world, admin_id = _patient_with_history(db)
    with db.session() as session:
        record_id = session.get_one(Patient, world.patient_id).external_id or ""
    with pytest.raises(ErasureError) as raised:
        patient_data.erase_feedback(
            db,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            staff_id=admin_id,
            confirmation=confirmation or record_id,
            reason=reason,
            now=NOW,
            zone=OSLO,
        )
    assert raised.value.code == code
    assert _count(db, Response) == 2 and _count(db, AdminAudit) == 0
    with db.session() as session:
        patient = session.get_one(Patient, world.patient_id)
        assert patient.feedback_erased_at is None and patient.phone_e164


def test_an_erasure_addressed_to_another_unit_finds_no_patient(db: Database) -> None:
    world, admin_id = _patient_with_history(db)
    other = make_unit(db)
    with db.session() as session:
        record_id = session.get_one(Patient, world.patient_id).external_id or ""
    with pytest.raises(ErasureError, match="not_found"):
        patient_data.erase_feedback(
            db,
            patient_id=world.patient_id,
            unit_id=other.id,
            staff_id=admin_id,
            confirmation=record_id,
            reason="Asked",
            now=NOW,
            zone=OSLO,
        )
    assert _count(db, Response) == 2
