"""One episode of the patient's data export (`services.patient_export`): the unit, the
therapists, the appointments, invitations and responses with their comments, the goals, the
topics, the signals, the samvalg records and the groups, as JSON-ready dicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db.models import (
    Appointment,
    Episode,
    EpisodeTherapist,
    GroupAttendance,
    GroupMember,
    GroupSession,
    Invitation,
    PatientGoal,
    Programme,
    Response,
    ResponseComment,
    SessionTopic,
    SharedDecision,
    SharedDecisionEarlier,
    Signal,
    Staff,
    TherapyGroup,
    Unit,
)


def iso_text(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def all_rows(session: Session, statement: Any) -> Sequence[Any]:
    return session.scalars(statement).all()


def _decisions(session: Session, episode_id: int) -> list[dict[str, Any]]:
    """The samvalg records with the words each correction replaced. A withdrawn record is
    listed with its dates only: it was withdrawn as written in error, most often on the wrong
    patient, so its words may be about someone else (`services/samvalg_changes.py`)."""
    # The records first, then the words corrections replaced, up to the version each record
    # was read at: a correction made between the two reads would otherwise leave the words it
    # replaced out of the file (and the next version's in it twice, were the order reversed).
    decisions = all_rows(
        session,
        select(SharedDecision)
        .where(SharedDecision.episode_id == episode_id)
        .order_by(SharedDecision.recorded_at, SharedDecision.id),
    )
    read_at_version = {decision.id: decision.version for decision in decisions}
    earlier: dict[int, list[dict[str, Any]]] = {}
    for text in all_rows(
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
                "written_at": iso_text(text.written_at),
                "replaced_at": iso_text(text.replaced_at),
                "options_discussed": text.options_discussed,
                "what_matters": text.what_matters,
                "decision": text.decision,
                "review_on": iso_text(text.review_on),
            }
        )
    records: list[dict[str, Any]] = []
    for decision in decisions:
        if decision.withdrawn_at is not None:
            records.append(
                {
                    "recorded_at": iso_text(decision.recorded_at),
                    "withdrawn_at": iso_text(decision.withdrawn_at),
                }
            )
            continue
        records.append(
            {
                "recorded_at": iso_text(decision.recorded_at),
                "options_discussed": decision.options_discussed,
                "what_matters": decision.what_matters,
                "decision": decision.decision,
                "review_on": iso_text(decision.review_on),
                "corrected_at": iso_text(decision.corrected_at),
                "earlier_versions": earlier.get(decision.id, []),
            }
        )
    return records


def episode_export(session: Session, episode: Episode) -> dict[str, Any]:
    unit = session.get_one(Unit, episode.unit_id)
    programme = session.get(Programme, episode.programme_id) if episode.programme_id else None
    therapists = session.execute(
        select(Staff.display_name, EpisodeTherapist.responsible)
        .join(EpisodeTherapist, EpisodeTherapist.staff_id == Staff.id)
        .where(EpisodeTherapist.episode_id == episode.id)
        .order_by(Staff.display_name)
    ).all()
    responses = all_rows(
        session,
        select(Response).where(Response.episode_id == episode.id).order_by(Response.started_at),
    )
    comments = all_rows(
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
                "written_at": iso_text(comment.created_at),
            }
        )
    return {
        "id": episode.id,
        "unit": unit.name,
        "programme": programme.name if programme else None,
        "status": episode.status.value,
        "started_on": iso_text(episode.started_on),
        "ended_on": iso_text(episode.ended_on),
        "therapists": [
            {"name": name, "responsible": responsible} for name, responsible in therapists
        ],
        "appointments": [
            {
                "starts_at": iso_text(row.starts_at),
                "ends_at": iso_text(row.ends_at),
                "status": row.status.value,
            }
            for row in all_rows(
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
                "due_at": iso_text(row.due_at),
                "expires_at": iso_text(row.expires_at),
                "sent_at": iso_text(row.sent_at),
                "opened_at": iso_text(row.opened_at),
                "completed_at": iso_text(row.completed_at),
                "closed_at": iso_text(row.closed_at),
                "not_answered_because": row.non_response_reason,
            }
            for row in all_rows(
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
                "started_at": iso_text(response.started_at),
                "submitted_at": iso_text(response.submitted_at),
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
                "written_at": iso_text(goal.created_at),
                "changed_at": iso_text(goal.updated_at),
                "archived_at": iso_text(goal.archived_at),
            }
            for goal in all_rows(
                session,
                select(PatientGoal)
                .where(PatientGoal.episode_id == episode.id)
                .order_by(PatientGoal.created_at, PatientGoal.id),
            )
        ],
        "session_topics": [
            {"text": topic.text, "written_at": iso_text(topic.created_at)}
            for topic in all_rows(
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
                "raised_at": iso_text(signal.raised_at),
                "acknowledged_at": iso_text(signal.acknowledged_at),
                "acknowledge_note": signal.acknowledge_note,
                "resolved_at": iso_text(signal.resolved_at),
                "resolve_note": signal.resolve_note,
            }
            for signal in all_rows(
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
                "added_at": iso_text(row.added_at),
                "removed_at": iso_text(row.removed_at),
                "sessions_attended": [
                    iso_text(at)
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
