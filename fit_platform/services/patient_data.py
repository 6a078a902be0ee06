"""A patient's data for the administrator: find, export everything (GDPR art. 15), erase the
feedback data (art. 17, where the law allows). What is erased and what is kept, and why, is
in docs/privacy.md.

Every function that reads a patient's data writes an access-log row, and every export or
erasure an admin audit row, in the same transaction as the read or the change. The audit row
holds counts and codes only, never the erased content.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    AccessLog,
    Appointment,
    ConsentEvent,
    Episode,
    EpisodeTherapist,
    Invitation,
    InvitationToken,
    ItemAnswer,
    OneTimeCode,
    OutboxMessage,
    Patient,
    PatientGoal,
    Programme,
    Response,
    ResponseComment,
    SessionTopic,
    SharedDecision,
    Signal,
    Staff,
    Unit,
)
from fit_platform.domain.codes import (
    Actor,
    ConsentEventKind,
    ConsentState,
    OutboxState,
    Role,
)
from fit_platform.domain.free_text import clean_free_text
from fit_platform.services.access_log import record_access
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.consent import OSLO, ConsentChange, apply_consent_change

log = logging.getLogger(__name__)

EXPORT_FORMAT = "fit-platform patient data"
EXPORT_VERSION = 1
REASON_MAX = 500


class AccessAction:
    """Access-log codes for what an administrator read."""

    LOOKUP = "admin_patient_lookup"
    EXPORT = "admin_patient_export"
    ERASE_REVIEW = "admin_patient_erase_review"


class AuditAction:
    EXPORTED = "patient_data_exported"
    ERASED = "patient_feedback_erased"


@dataclass(frozen=True)
class UnitChoice:
    id: int
    name: str


@dataclass(frozen=True)
class PatientSummary:
    """What the admin page shows: who the patient is and how much is held, never the content."""

    patient_id: int
    display_name: str
    external_id: str
    unit_id: int
    unit_name: str
    consent_state: ConsentState
    feedback_erased_at: dt.datetime | None
    counts: dict[str, int]

    @property
    def holds_feedback(self) -> bool:
        return any(self.counts.values())


class ErasureError(ValueError):
    """The erasure was not made; ``code`` says why (the view translates it)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def units(db: Database) -> list[UnitChoice]:
    with db.session() as session:
        rows = session.execute(select(Unit.id, Unit.name).order_by(Unit.name)).all()
    return [UnitChoice(unit_id, name) for unit_id, name in rows]


def _episode_ids(session: Session, patient_id: int) -> list[int]:
    return list(session.scalars(select(Episode.id).where(Episode.patient_id == patient_id)))


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _feedback_counts(session: Session, patient_id: int) -> dict[str, int]:
    """How many of each kind of erasable record the patient has (the erasure's audit row)."""
    episodes = _episode_ids(session, patient_id)
    responses = select(Response.id).where(Response.episode_id.in_(episodes))
    return {
        "responses": _count(session, Response, Response.episode_id.in_(episodes)),
        "answers": _count(session, ItemAnswer, ItemAnswer.response_id.in_(responses)),
        "comments": _count(session, ResponseComment, ResponseComment.episode_id.in_(episodes)),
        "goals": _count(session, PatientGoal, PatientGoal.episode_id.in_(episodes)),
        "session_topics": _count(session, SessionTopic, SessionTopic.episode_id.in_(episodes)),
        "decisions": _count(session, SharedDecision, SharedDecision.episode_id.in_(episodes)),
        "signals": _count(session, Signal, Signal.episode_id.in_(episodes)),
        "link_tokens": _count(
            session,
            InvitationToken,
            InvitationToken.invitation_id.in_(
                select(Invitation.id).where(Invitation.episode_id.in_(episodes))
            ),
        ),
        "one_time_codes": _count(session, OneTimeCode, OneTimeCode.patient_id == patient_id),
    }


def _patient_in_unit(
    session: Session, unit_id: int, external_id: str
) -> tuple[Patient, Unit] | None:
    row = session.execute(
        select(Patient, Unit)
        .join(Episode, Episode.patient_id == Patient.id)
        .join(Unit, Unit.id == Episode.unit_id)
        .where(Episode.unit_id == unit_id, Patient.external_id == external_id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def find_patient(
    db: Database, *, unit_id: int, external_id: str, staff_id: int, now: dt.datetime
) -> PatientSummary | None:
    """The patient with this record id in this unit, or None. A find is a read: access-logged."""
    external_id = clean_free_text(external_id)
    if not external_id:
        return None
    with db.transaction() as session:
        found = _patient_in_unit(session, unit_id, external_id)
        if found is None:
            return None
        patient, unit = found
        record_access(
            session,
            staff_id=staff_id,
            role=Role.ADMIN,
            patient_id=patient.id,
            unit_id=unit.id,
            action=AccessAction.LOOKUP,
            now=now,
        )
        return PatientSummary(
            patient_id=patient.id,
            display_name=patient.display_name,
            external_id=patient.external_id or "",
            unit_id=unit.id,
            unit_name=unit.name,
            consent_state=patient.consent_state,
            feedback_erased_at=patient.feedback_erased_at,
            counts=_feedback_counts(session, patient.id),
        )


def summary_for_erasure(
    db: Database, *, patient_id: int, unit_id: int, staff_id: int, now: dt.datetime
) -> PatientSummary | None:
    """The summary the erasure page shows (access-logged); None when the patient is not in
    the unit (a forged address)."""
    with db.transaction() as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.external_id is None:
            return None
        found = _patient_in_unit(session, unit_id, patient.external_id)
        if found is None or found[0].id != patient_id:
            return None
        unit = found[1]
        record_access(
            session,
            staff_id=staff_id,
            role=Role.ADMIN,
            patient_id=patient_id,
            unit_id=unit.id,
            action=AccessAction.ERASE_REVIEW,
            now=now,
        )
        return PatientSummary(
            patient_id=patient.id,
            display_name=patient.display_name,
            external_id=patient.external_id,
            unit_id=unit.id,
            unit_name=unit.name,
            consent_state=patient.consent_state,
            feedback_erased_at=patient.feedback_erased_at,
            counts=_feedback_counts(session, patient.id),
        )


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _rows(session: Session, statement: Any) -> Sequence[Any]:
    return session.scalars(statement).all()


def _episode_export(session: Session, episode: Episode) -> dict[str, Any]:
    unit = session.get_one(Unit, episode.unit_id)
    programme = session.get(Programme, episode.programme_id) if episode.programme_id else None
    therapists = session.execute(
        select(Staff.display_name, EpisodeTherapist.responsible)
        .join(EpisodeTherapist, EpisodeTherapist.staff_id == Staff.id)
        .where(EpisodeTherapist.episode_id == episode.id)
        .order_by(Staff.display_name)
    ).all()
    responses = _rows(
        session,
        select(Response).where(Response.episode_id == episode.id).order_by(Response.started_at),
    )
    comments = _rows(
        session,
        select(ResponseComment)
        .where(ResponseComment.episode_id == episode.id)
        .order_by(ResponseComment.created_at, ResponseComment.id),
    )
    by_response: dict[int, list[dict[str, Any]]] = {}
    for comment in comments:
        by_response.setdefault(comment.response_id, []).append(
            {
                "source": comment.source.value,
                "text": comment.text,
                "written_at": _iso(comment.created_at),
            }
        )
    return {
        "id": episode.id,
        "unit": unit.name,
        "programme": programme.name if programme else None,
        "status": episode.status.value,
        "started_on": _iso(episode.started_on),
        "ended_on": _iso(episode.ended_on),
        "therapists": [
            {"name": name, "responsible": responsible} for name, responsible in therapists
        ],
        "appointments": [
            {
                "starts_at": _iso(row.starts_at),
                "ends_at": _iso(row.ends_at),
                "status": row.status.value,
            }
            for row in _rows(
                session,
                select(Appointment)
                .where(Appointment.episode_id == episode.id)
                .order_by(Appointment.starts_at),
            )
        ],
        "invitations": [
            {
                "id": row.id,
                "instrument": row.instrument_id,
                "state": row.state.value,
                "due_at": _iso(row.due_at),
                "expires_at": _iso(row.expires_at),
                "sent_at": _iso(row.sent_at),
                "opened_at": _iso(row.opened_at),
                "completed_at": _iso(row.completed_at),
                "closed_at": _iso(row.closed_at),
                "not_answered_because": row.non_response_reason,
            }
            for row in _rows(
                session,
                select(Invitation)
                .where(Invitation.episode_id == episode.id)
                .order_by(Invitation.due_at, Invitation.id),
            )
        ],
        "responses": [
            {
                "id": response.id,
                "invitation_id": response.invitation_id,
                "instrument": response.instrument_id,
                "instrument_version": response.instrument_version,
                "language": response.language.value,
                "status": response.status.value,
                "started_at": _iso(response.started_at),
                "submitted_at": _iso(response.submitted_at),
                "scoring_version": response.scoring_version,
                "scorable": response.scorable,
                "total": response.total,
                "band": response.band,
                "risk_answer": response.risk,
                "score_details": response.score_details,
                "answers": [
                    {"item": answer.link_id, "value": answer.value}
                    for answer in sorted(response.answers, key=lambda a: a.id)
                ],
                # A comment written before comments had their own table.
                "comment": response.comment,
                "comments": by_response.get(response.id, []),
            }
            for response in responses
        ],
        "goals": [
            {
                "text": goal.text,
                "written_at": _iso(goal.created_at),
                "changed_at": _iso(goal.updated_at),
                "archived_at": _iso(goal.archived_at),
            }
            for goal in _rows(
                session,
                select(PatientGoal)
                .where(PatientGoal.episode_id == episode.id)
                .order_by(PatientGoal.created_at, PatientGoal.id),
            )
        ],
        "session_topics": [
            {"text": topic.text, "written_at": _iso(topic.created_at)}
            for topic in _rows(
                session,
                select(SessionTopic)
                .where(SessionTopic.episode_id == episode.id)
                .order_by(SessionTopic.created_at, SessionTopic.id),
            )
        ],
        "signals": [
            {
                "code": signal.code,
                "severity": signal.severity,
                "raised_at": _iso(signal.raised_at),
                "acknowledged_at": _iso(signal.acknowledged_at),
                "acknowledge_note": signal.acknowledge_note,
                "resolved_at": _iso(signal.resolved_at),
                "resolve_note": signal.resolve_note,
            }
            for signal in _rows(
                session,
                select(Signal)
                .where(Signal.episode_id == episode.id)
                .order_by(Signal.raised_at, Signal.id),
            )
        ],
        "decisions": [
            {
                "recorded_at": _iso(decision.recorded_at),
                "options_discussed": decision.options_discussed,
                "what_matters": decision.what_matters,
                "decision": decision.decision,
                "review_on": _iso(decision.review_on),
            }
            for decision in _rows(
                session,
                select(SharedDecision)
                .where(SharedDecision.episode_id == episode.id)
                .order_by(SharedDecision.recorded_at, SharedDecision.id),
            )
        ],
    }


def export_patient(
    db: Database, *, patient_id: int, unit_id: int, staff_id: int, now: dt.datetime
) -> dict[str, Any] | None:
    """Everything the platform holds about the patient, as one JSON-ready dict (right of
    access). The export is access-logged and audited in the same transaction; the audit row
    holds the counts, not the content. None when the patient is not in the unit."""
    with db.transaction() as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.external_id is None:
            return None
        found = _patient_in_unit(session, unit_id, patient.external_id)
        if found is None or found[0].id != patient_id:
            return None
        # The export's own read is part of the access log it contains.
        record_access(
            session,
            staff_id=staff_id,
            role=Role.ADMIN,
            patient_id=patient_id,
            unit_id=unit_id,
            action=AccessAction.EXPORT,
            now=now,
        )
        session.flush()
        episodes = _rows(
            session,
            select(Episode).where(Episode.patient_id == patient_id).order_by(Episode.started_on),
        )
        data: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": _iso(now),
            "patient": {
                "id": patient.id,
                "name": patient.display_name,
                "record_id": patient.external_id,
                "phone": patient.phone_e164,
                "email": patient.email,
                "language": patient.preferred_language.value,
                "channel": patient.preferred_channel.value,
                "consent_state": patient.consent_state.value,
                "paused_until": _iso(patient.paused_until),
                "registered_at": _iso(patient.created_at),
                "feedback_erased_at": _iso(patient.feedback_erased_at),
            },
            "episodes": [_episode_export(session, episode) for episode in episodes],
            "consent_history": [
                {
                    "at": _iso(event.created_at),
                    "kind": event.kind.value,
                    "by": event.actor.value,
                    "reason": event.reason,
                    "paused_until": _iso(event.paused_until),
                    "channel": event.channel.value if event.channel else None,
                }
                for event in _rows(
                    session,
                    select(ConsentEvent)
                    .where(ConsentEvent.patient_id == patient_id)
                    .order_by(ConsentEvent.created_at, ConsentEvent.id),
                )
            ],
            "messages": [
                {
                    "kind": message.kind.value,
                    "channel": message.channel.value,
                    "state": message.state.value,
                    "created_at": _iso(message.created_at),
                    "sent_at": _iso(message.sent_at),
                }
                for message in _rows(
                    session,
                    select(OutboxMessage)
                    .where(OutboxMessage.patient_id == patient_id)
                    .order_by(OutboxMessage.created_at, OutboxMessage.id),
                )
            ],
            # Who read the data: role and unit, as on every other page the patient's access
            # history appears (docs/privacy.md says how to ask for names).
            "access_log": [
                {"at": _iso(at), "role": role.value, "unit": unit_name, "action": action}
                for at, role, unit_name, action in session.execute(
                    select(AccessLog.at, AccessLog.role, Unit.name, AccessLog.action)
                    .outerjoin(Unit, Unit.id == AccessLog.unit_id)
                    .where(AccessLog.patient_id == patient_id)
                    .order_by(AccessLog.at, AccessLog.id)
                ).all()
            ],
        }
        counts = {
            "episodes": len(data["episodes"]),
            "responses": sum(len(episode["responses"]) for episode in data["episodes"]),
            "consent_events": len(data["consent_history"]),
            "access_log_rows": len(data["access_log"]),
        }
        record_admin_change(
            session,
            staff_id=staff_id,
            action=AuditAction.EXPORTED,
            target_kind="patient",
            target_id=patient_id,
            after=counts,
            at=now,
        )
    log.info(
        "patient data exported",
        extra={
            "patient_id": patient_id,
            "staff_id": staff_id,
            "episodes": counts["episodes"],
            "responses": counts["responses"],
        },
    )
    return data


@dataclass(frozen=True)
class ErasureResult:
    patient_id: int
    erased: dict[str, int]
    cancelled_invitations: int
    cancelled_messages: int


def erase_feedback(
    db: Database,
    *,
    patient_id: int,
    unit_id: int,
    staff_id: int,
    confirmation: str,
    reason: str,
    now: dt.datetime,
    zone: ZoneInfo = OSLO,
) -> ErasureResult:
    """Erase the patient's feedback data, all in one transaction (docs/privacy.md).

    Erased: answers and scores, comments, goals, session topics, signals, shared decisions, link
    tokens, one-time codes, contact details and the provider details of sent messages.
    Kept: the registration (name, record id), episodes and appointments, the invitations'
    states and times, the consent history and the access log. Feedback stops (a consent stop
    recorded by staff), which cancels open invitations and queued messages.
    `confirmation` must be the patient's record id; `reason` is required. Raises
    ``ErasureError`` (``confirmation``, ``reason``, ``not_found``) and then changes nothing.
    """
    reason = " ".join(clean_free_text(reason).split())[:REASON_MAX]
    if not reason:
        raise ErasureError("reason")
    with db.transaction() as session:
        patient = session.get(Patient, patient_id, with_for_update=True)
        if patient is None or patient.external_id is None:
            raise ErasureError("not_found")
        found = _patient_in_unit(session, unit_id, patient.external_id)
        if found is None or found[0].id != patient_id:
            raise ErasureError("not_found")
        if clean_free_text(confirmation) != patient.external_id:
            raise ErasureError("confirmation")
        erased = _feedback_counts(session, patient_id)
        cancelled_invitations = cancelled_messages = 0
        if patient.consent_state is not ConsentState.STOPPED:
            stopped = apply_consent_change(
                session,
                patient_id,
                ConsentChange(ConsentEventKind.STOPPED),
                now=now,
                actor=Actor.STAFF,
                staff_id=staff_id,
                zone=zone,
            )
            cancelled_invitations = stopped.cancelled_invitations
            cancelled_messages = stopped.cancelled_messages
        # A code message still waiting would carry a code for data that no longer exists.
        codes = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.patient_id == patient_id, OutboxMessage.state == OutboxState.QUEUED
            )
            .values(state=OutboxState.CANCELLED, last_error="feedback data erased")
        )
        cancelled_messages += int(codes.rowcount or 0)  # type: ignore[attr-defined]
        episodes = select(Episode.id).where(Episode.patient_id == patient_id)
        responses = select(Response.id).where(Response.episode_id.in_(episodes))
        invitations = select(Invitation.id).where(Invitation.episode_id.in_(episodes))
        # Children before parents, so no foreign key is left pointing at a deleted row.
        session.execute(delete(SharedDecision).where(SharedDecision.episode_id.in_(episodes)))
        session.execute(delete(Signal).where(Signal.episode_id.in_(episodes)))
        session.execute(delete(ResponseComment).where(ResponseComment.episode_id.in_(episodes)))
        session.execute(delete(ItemAnswer).where(ItemAnswer.response_id.in_(responses)))
        session.execute(delete(Response).where(Response.episode_id.in_(episodes)))
        session.execute(delete(PatientGoal).where(PatientGoal.episode_id.in_(episodes)))
        session.execute(delete(SessionTopic).where(SessionTopic.episode_id.in_(episodes)))
        session.execute(
            delete(InvitationToken).where(InvitationToken.invitation_id.in_(invitations))
        )
        session.execute(delete(OneTimeCode).where(OneTimeCode.patient_id == patient_id))
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.patient_id == patient_id)
            .values(provider_ref=None, last_error=None)
        )
        patient.phone_e164 = None
        patient.email = None
        patient.feedback_erased_at = now
        record_admin_change(
            session,
            staff_id=staff_id,
            action=AuditAction.ERASED,
            target_kind="patient",
            target_id=patient_id,
            before=erased,
            after={
                "feedback_erased_at": now.isoformat(),
                "cancelled_invitations": cancelled_invitations,
                "cancelled_messages": cancelled_messages,
            },
            reason=reason,
            at=now,
        )
    log.info(
        "patient feedback erased",
        extra={
            "patient_id": patient_id,
            "staff_id": staff_id,
            "responses": erased["responses"],
            "comments": erased["comments"],
            "cancelled_messages": cancelled_messages,
        },
    )
    return ErasureResult(patient_id, erased, cancelled_invitations, cancelled_messages)
