"""Which failed messages are still failures an operator must act on.

A message whose sending failed for good keeps its `failed` row (until retention removes it),
because the therapist's pages say what never reached the patient and why. For the operator's
figures it stops counting once a later message with the same purpose was sent: the person got
what the failed one was for, and nothing is left to act on. The same purpose is

- the same questionnaire invitation (its message or a reminder of it), for invitation messages;
- the same staff member, for a staff e-mail (an invitation or a new-password link: sending
  again opens a new link for the same person); and a staff e-mail also stops counting once the
  person used a link of theirs made at or after it: they chose their password, which is what
  the e-mail was for, whichever way the link reached them (a service without e-mail hands
  over a link printed by `fit-platform staff invite-link`, docs/operations.md);
- the same patient and the same kind, for what a patient asked for or confirmed (a one-time
  code, a consent confirmation).

"Later" is a later row (a higher id): a re-send is always a new row, queued after the failure.
A re-send still queued, or one that failed too, leaves the failure counting.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import aliased

from fit_platform.db.models import OutboxMessage, StaffInvite
from fit_platform.domain.codes import OutboxState


def superseded() -> ColumnElement[bool]:
    """True for an `OutboxMessage` row (of the enclosing query) that a later row with the
    same purpose was sent for; correlated, one indexed lookup per failed row."""
    later = aliased(OutboxMessage)
    sent_later = and_(later.state == OutboxState.SENT, later.id > OutboxMessage.id)
    same_invitation = exists().where(
        sent_later,
        OutboxMessage.invitation_id.is_not(None),
        later.invitation_id == OutboxMessage.invitation_id,
    )
    failed_link = aliased(StaffInvite)
    later_link = aliased(StaffInvite)
    same_staff_member = exists(
        select(later.id)
        .join(later_link, later_link.id == later.staff_invite_id)
        .join(failed_link, failed_link.staff_id == later_link.staff_id)
        .where(sent_later, failed_link.id == OutboxMessage.staff_invite_id)
    )
    used_link = aliased(StaffInvite)
    failed_for = aliased(StaffInvite)
    link_used = exists(
        select(used_link.id)
        .join(failed_for, failed_for.staff_id == used_link.staff_id)
        .where(
            failed_for.id == OutboxMessage.staff_invite_id,
            used_link.id >= failed_for.id,
            used_link.used_at.is_not(None),
        )
    )
    same_request = exists().where(
        sent_later,
        OutboxMessage.invitation_id.is_(None),
        OutboxMessage.staff_invite_id.is_(None),
        # Found through the patient's index: a patient has few messages, the service many
        # without an invitation (a condition on the later row's invitation would pick that).
        later.patient_id == OutboxMessage.patient_id,
        later.kind == OutboxMessage.kind,
    )
    return or_(same_invitation, same_staff_member, link_used, same_request)


def still_failed() -> ColumnElement[bool]:
    """The rows an operator's failed-messages figure counts: failed and not superseded."""
    return and_(OutboxMessage.state == OutboxState.FAILED, ~superseded())
