"""Everything the platform holds about one patient, as one JSON-ready dict: the administrator's
answer to a right-of-access request (GDPR art. 15; docs/privacy.md).

The export is itself a read of the patient's data: it writes an access-log row (which the
exported log contains) and an admin audit row with counts, never content, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    AccessLog,
    Appointment,
    ConsentEvent,
    CrisisPlanVersion,
    Episode,
    EpisodeTherapist,
    GroupAttendance,
    GroupMember,
    GroupSession,
    Invitation,
    OutboxMessage,
    Patient,
    PatientGoal,
    Programme,
    Response,
    ResponseComment,
    SessionTopic,
    SharedDecision,
    SharedDecisionEarlier,
    Signal,
    Staff,
    StandingChoiceEvent,
    TherapyGroup,
    Unit,
)
from fit_platform.domain.codes import Role
from fit_platform.domain.own_plan import PlanPart
from fit_platform.services.access_log import record_access
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.finish_draft import drafts_for_export
from fit_platform.services.patient_data import AccessAction, AuditAction, patient_in_unit

log = logging.getLogger(__name__)

EXPORT_FORMAT = "fit-platform patient data"
# 2: a response's "band" is the band's name in the patient's language (the web layer names it,
# web/admin/patient_export_text.py); version 1 gave the internal code there (docs/privacy.md).
# 3: each other code keeps its field and gets its words in the patient's language beside it,
# as "<field>_text" (web/admin/patient_export_text.py).
# 4: a samvalg decision says when it was corrected, with the words each correction replaced
# ("earlier_versions"); a withdrawn one has its dates only ("withdrawn_at"), no words.
EXPORT_VERSION = 4


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _rows(session: Session, statement: Any) -> Sequence[Any]:
    return session.scalars(statement).all()


def _plan_versions_export(session: Session, patient_id: int) -> list[dict[str, Any]]:
    """Every crisis-plan version, oldest first; a restored one says when the version it was
    taken back from was saved (versions carry no ids in the export)."""
    versions = _rows(
        session,
        select(CrisisPlanVersion)
        .where(CrisisPlanVersion.patient_id == patient_id)
        .order_by(CrisisPlanVersion.id),
    )
    saved_at = {version.id: version.created_at for version in versions}
    return [
        {
            "at": _iso(version.created_at),
            "by": version.recorded_by.value,
            "restored_from_at": (
                _iso(saved_at[version.restored_from_id]) if version.restored_from_id else None
            ),
            **{part.value: getattr(version, part.value) for part in PlanPart},
        }
        for version in versions
    ]


def _decisions(session: Session, episode_id: int) -> list[dict[str, Any]]:
    """The samvalg records with the words each correction replaced. A withdrawn record is
    listed with its dates only: it was withdrawn as written in error, most often on the wrong
    patient, so its words may be about someone else (`services/samvalg_changes.py`)."""
    # The records first, then the words corrections replaced, up to the version each record
    # was read at: a correction made between the two reads would otherwise leave the words it
    # replaced out of the file (and the next version's in it twice, were the order reversed).
    decisions = _rows(
        session,
        select(SharedDecision)
        .where(SharedDecision.episode_id == episode_id)
        .order_by(SharedDecision.recorded_at, SharedDecision.id),
    )
    read_at_version = {decision.id: decision.version for decision in decisions}
    earlier: dict[int, list[dict[str, Any]]] = {}
    for text in _rows(
        session,
        select(SharedDecisionEarlier)
        .join(SharedDecision, SharedDecision.id == SharedDecisionEarlier.decision_id)
        .where(SharedDecision.episode_id == episode_id)
        .order_by(SharedDecisionEarlier.decision_id, SharedDecisionEarlier.version),
    ):
        if text.version >= read_at_version.get(text.decision_id, 0):
            continue
        earlier.setdefault(text.decision_id, []).append(
            {
                "written_at": _iso(text.written_at),
                "replaced_at": _iso(text.replaced_at),
                "options_discussed": text.options_discussed,
                "what_matters": text.what_matters,
                "decision": text.decision,
                "review_on": _iso(text.review_on),
            }
        )
    records: list[dict[str, Any]] = []
    for decision in decisions:
        if decision.withdrawn_at is not None:
            records.append(
                {
                    "recorded_at": _iso(decision.recorded_at),
                    "withdrawn_at": _iso(decision.withdrawn_at),
                }
            )
            continue
        records.append(
            {
                "recorded_at": _iso(decision.recorded_at),
                "options_discussed": decision.options_discussed,
                "what_matters": decision.what_matters,
                "decision": decision.decision,
                "review_on": _iso(decision.review_on),
                "corrected_at": _iso(decision.corrected_at),
                "earlier_versions": earlier.get(decision.id, []),
            }
        )
    return records


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
                # The code here; named in the patient's language before the file is written.
                "band": response.band,
                "risk_answer": response.risk,
                "score_details": response.score_details,
                "answers": [
                    # The language the question was shown in (null: saved before it was kept).
                    {"item": answer.link_id, "value": answer.value, "language": answer.language}
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
        "decisions": _decisions(session, episode.id),
        # Groups (docs/groups.md): each membership and every session the patient attended.
        "groups": [
            {
                "group": row.name,
                "added_at": _iso(row.added_at),
                "removed_at": _iso(row.removed_at),
                "sessions_attended": [
                    _iso(at)
                    for at in session.scalars(
                        select(GroupSession.starts_at)
                        .join(
                            GroupAttendance,
                            GroupAttendance.group_session_id == GroupSession.id,
                        )
                        .where(
                            GroupSession.group_id == row.group_id,
                            GroupAttendance.episode_id == episode.id,
                        )
                        .order_by(GroupSession.starts_at)
                    )
                ],
            }
            for row in session.execute(
                select(
                    TherapyGroup.name,
                    GroupMember.group_id,
                    GroupMember.added_at,
                    GroupMember.removed_at,
                )
                .join(GroupMember, GroupMember.group_id == TherapyGroup.id)
                .where(GroupMember.episode_id == episode.id)
                .order_by(GroupMember.added_at, GroupMember.id)
            )
        ],
    }


def export_patient(
    db: Database, *, patient_id: int, unit_id: int, staff_id: int, now: dt.datetime
) -> dict[str, Any] | None:
    """Everything the platform holds about the patient, as one JSON-ready dict (right of
    access). The export is access-logged and audited in the same transaction; the audit row
    holds the counts, not the content. None when the patient is not in the unit."""
    with db.transaction(now=now) as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.external_id is None:
            return None
        found = patient_in_unit(session, unit_id, patient.external_id)
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
                # Whether an ID-porten login can find the patient; the hash itself is no use
                # to the patient and is never handed out.
                "national_id_registered": patient.national_id_hash is not None,
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
            # The patient's own plan: every version and every event, as kept.
            "crisis_plan_versions": _plan_versions_export(session, patient_id),
            "standing_choice_events": [
                {
                    "at": _iso(event.created_at),
                    "choice": event.choice_id or event.id,
                    "event": event.event.value,
                    "kind": event.kind.value,
                    "text": event.text,
                    "by": event.recorded_by.value,
                }
                for event in _rows(
                    session,
                    select(StandingChoiceEvent)
                    .where(StandingChoiceEvent.patient_id == patient_id)
                    .order_by(StandingChoiceEvent.id),
                )
            ],
            # Typed on a check page and not sent yet (services/finish_draft.py).
            "unsent_check_page_text": drafts_for_export(session, patient_id),
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
