"""Which of an episode's questionnaires never reached the patient, and why.

An invitation whose message failed for good stays `scheduled` (nothing was sent) until its
window ends, and then expires as `not_delivered`. Shown as its state, it read "Scheduled" on
the appointments page, and the therapist waited for answers that could not come. This module
finds those invitations and the cause of the failure, in the pre-session view's words
(`messaging/delivery_problem.py`), so the appointments page says "Not delivered" and who should
act. A failed reminder is not here: the invitation itself reached the patient.

The caseload asks the same for all of a therapist's patients at once
(`undelivered_by_episode`), so the list they scan first shows it too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from fit_platform.db.models import Invitation, OutboxMessage
from fit_platform.domain.codes import InvitationState, MessageKind, OutboxState
from fit_platform.messaging.delivery_problem import DeliveryProblem, delivery_problem
from fit_platform.services.invitation_common import NonResponse


def never_delivered(invitation: Invitation) -> bool:
    """True while nothing of the invitation has been sent: still scheduled, or expired unsent."""
    if invitation.state is InvitationState.SCHEDULED:
        return True
    return (
        invitation.state is InvitationState.EXPIRED
        and invitation.non_response_reason == NonResponse.NOT_DELIVERED
    )


def undelivered_invitations(
    session: Session, invitations: Iterable[Invitation]
) -> dict[int, DeliveryProblem]:
    """The cause, per invitation id, for each invitation whose message failed for good and
    which never reached the patient (the latest failure decides)."""
    waiting = [invitation.id for invitation in invitations if never_delivered(invitation)]
    if not waiting:
        return {}
    rows = session.execute(
        select(OutboxMessage.invitation_id, OutboxMessage.last_error)
        .where(
            OutboxMessage.invitation_id.in_(waiting),
            OutboxMessage.kind == MessageKind.INVITATION,
            OutboxMessage.state == OutboxState.FAILED,
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return {
        invitation_id: delivery_problem(last_error)
        for invitation_id, last_error in rows
        if invitation_id is not None
    }


def failed_message_problems(messages: Iterable[OutboxMessage]) -> dict[int, DeliveryProblem]:
    """The cause, per outbox message id, of each listed message that failed for good."""
    return {
        message.id: delivery_problem(message.last_error)
        for message in messages
        if message.state is OutboxState.FAILED
    }


@dataclass(frozen=True)
class Undelivered:
    """An episode's questionnaires that never reached the patient: how many, and the cause
    of the latest failure (the appointments page gives each one's cause and the advice)."""

    count: int
    problem: DeliveryProblem


def undelivered_by_episode(
    session: Session, episode_ids: Collection[int]
) -> dict[int, Undelivered]:
    """Per episode, its invitations whose message failed for good and that never reached the
    patient, in one query whatever the number of episodes. Only those after the last
    questionnaire that did reach the patient count: once the number is corrected and the
    next one is sent, the old failures are history (still listed on the appointments page),
    not something to act on."""
    if not episode_ids:
        return {}
    reached = aliased(Invitation)
    reached_later = exists().where(
        reached.episode_id == Invitation.episode_id,
        reached.sent_at.is_not(None),
        reached.due_at > Invitation.due_at,
    )
    rows = session.execute(
        select(Invitation.episode_id, Invitation.id, OutboxMessage.last_error)
        .join(OutboxMessage, OutboxMessage.invitation_id == Invitation.id)
        .where(
            Invitation.episode_id.in_(episode_ids),
            or_(
                Invitation.state == InvitationState.SCHEDULED,
                and_(
                    Invitation.state == InvitationState.EXPIRED,
                    Invitation.non_response_reason == NonResponse.NOT_DELIVERED,
                ),
            ),
            OutboxMessage.kind == MessageKind.INVITATION,
            OutboxMessage.state == OutboxState.FAILED,
            ~reached_later,
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    invitations: dict[int, set[int]] = {}
    latest: dict[int, DeliveryProblem] = {}
    for episode_id, invitation_id, last_error in rows:
        invitations.setdefault(episode_id, set()).add(invitation_id)
        latest[episode_id] = delivery_problem(last_error)  # ordered: the last one wins
    return {
        episode_id: Undelivered(len(ids), latest[episode_id])
        for episode_id, ids in invitations.items()
    }
