"""Which of an episode's questionnaires never reached the patient, and why.

An invitation whose message failed for good stays `scheduled` (nothing was sent) until its
window ends, and then expires as `not_delivered`. Shown as its state, it read "Scheduled" on
the appointments page, and the therapist waited for answers that could not come. This module
finds those invitations and the cause of the failure, in the pre-session view's words
(`messaging/delivery_problem.py`), so the appointments page says "Not delivered" and who should
act. A failed reminder is not here: the invitation itself reached the patient.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

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
