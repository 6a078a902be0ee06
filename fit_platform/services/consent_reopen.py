"""A restart (the patient's, the therapist's "End the pause now", or a pause running out)
reopens the questionnaires the pause or stop cancelled, as far as they still fit.

Without this, a patient who pauses and starts again the same day would lose the questionnaire
before their next session (its slot is unique, so the scheduler never makes it again) while
being told they will get the next one. But a cancelled questionnaire is outside every rule that
changes open ones, so what staff changed during the pause was not applied to it: a session
moved, a rule switched off, the patient's own days changed, the unit archived. Reopened as it
was, it was sent after all, or offered on its link ("open again, you can answer until …") and
withdrawn by the next tick a minute later. So each reopened one is put through those rules
again, in the same transaction, before anything is sent or shown.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, select, type_coerce, update
from sqlalchemy.orm import Session

from fit_platform.db.models import Episode, Invitation, OutboxMessage, ScheduleRule, Unit
from fit_platform.domain.codes import EpisodeStatus, InvitationState, MessageKind, OutboxState
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.services.cancel import cancel_invitations, cancel_obsolete_among
from fit_platform.services.invitation_common import CONSENT_CANCELLATIONS, NonResponse
from fit_platform.services.plan_changes import cancel_planned_not_asked_for

# Messages that ask the patient to answer; one-time codes and confirmations are not cancelled.
QUESTIONNAIRE_MESSAGES = (MessageKind.INVITATION, MessageKind.REMINDER)


def reopen_cancelled(
    session: Session,
    patient_id: int,
    now: dt.datetime,
    *,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> int:
    """Reopen the patient's invitations that a pause or stop cancelled, whose answer window is
    still open, in an active episode of a unit in use; returns how many stay open.

    Each gets back the state it had (sent or opened keeps its links working: they expire with
    the window; never sent goes back to scheduled), and its messages that never left are queued
    again at their own time. Then the rules that change open questionnaires run on them: one
    never sent of a rule switched off is cancelled as `rule_switched_off`, one the patient's
    own days no longer ask for as `plan_changed`, one whose session moved or was cancelled as
    `appointment_changed` (or carried over to the moved session, as on the appointments page).
    The dispatcher then decides as for any message: consent, quiet hours, enough time left."""
    ids = list(
        session.scalars(
            select(Invitation.id)
            .join(Episode, Episode.id == Invitation.episode_id)
            .join(Unit, Unit.id == Episode.unit_id)
            .where(
                Episode.patient_id == patient_id,
                Episode.status == EpisodeStatus.ACTIVE,
                Unit.archived_at.is_(None),  # an archived unit sends nothing new
                Invitation.state == InvitationState.CANCELLED,
                Invitation.non_response_reason.in_(CONSENT_CANCELLATIONS),
                Invitation.expires_at > now,
            )
        )
    )
    if not ids:
        return 0
    # Back to the state it had: opened, sent, or never sent.
    session.execute(
        update(Invitation)
        .where(Invitation.id.in_(ids))
        .values(
            state=type_coerce(
                case(
                    (Invitation.opened_at.is_not(None), InvitationState.OPENED),
                    (Invitation.sent_at.is_not(None), InvitationState.SENT),
                    else_=InvitationState.SCHEDULED,
                ),
                Invitation.state.type,
            ),
            closed_at=None,
            non_response_reason=None,
        )
    )
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.invitation_id.in_(ids),
            OutboxMessage.state == OutboxState.CANCELLED,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.kind.in_(QUESTIONNAIRE_MESSAGES),
        )
        .values(state=OutboxState.QUEUED, last_error=None, claimed_by=None, claimed_until=None)
    )
    withdrawn = _refit(session, ids, now, min_window)
    return len(ids) - withdrawn


def _refit(session: Session, ids: list[int], now: dt.datetime, min_window: dt.timedelta) -> int:
    """What changed during the pause, applied to the reopened `ids`; how many it cancelled."""
    switched_off = session.scalars(
        select(Invitation.id)
        .join(ScheduleRule, ScheduleRule.id == Invitation.rule_id)
        .where(
            Invitation.id.in_(ids),
            Invitation.state == InvitationState.SCHEDULED,
            ScheduleRule.active.is_(False),
        )
    ).all()
    withdrawn = cancel_invitations(session, switched_off, NonResponse.RULE_SWITCHED_OFF, now)
    episodes = session.scalars(
        select(Episode).where(
            Episode.id.in_(select(Invitation.episode_id).where(Invitation.id.in_(ids)))
        )
    ).all()
    for episode in episodes:
        withdrawn += cancel_planned_not_asked_for(session, episode, now, only=ids)
    withdrawn += cancel_obsolete_among(session, ids, now, min_window)
    return withdrawn
