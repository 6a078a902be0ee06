"""After a plan changes: cancel the questionnaires planned and not sent yet that it no longer
asks for (`domain/planned_slots.py` says which), within the caller's transaction.

Called when the therapist changes a rule (`services/episode_schedule.py`) and when the
patient's own programme days change (`services/own_days.py`). The scheduler's next tick then
plans what the changed plan asks for: a new questionnaire for the same occasion has a free
slot, since the slot is per questionnaire. Questionnaires already sent stay open: the page
says "questionnaires already sent are not changed".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db.models import Episode, Invitation, ScheduleRule
from fit_platform.domain.codes import InvitationState
from fit_platform.domain.planned_slots import still_asked_for
from fit_platform.services.cancel import cancel_invitations
from fit_platform.services.invitation_common import NonResponse
from fit_platform.services.schedule_plans import domain_rule, parse_iso_weekdays


def cancel_planned_not_asked_for(
    session: Session,
    episode: Episode,
    now: dt.datetime,
    *,
    rule_id: int | None = None,
    only: Sequence[int] | None = None,
) -> int:
    """Cancel the episode's planned invitations (of one rule, with `rule_id`; among `only`,
    with it) that its plan no longer asks for; returns how many. Those of a rule switched off
    are the caller's (`NonResponse.RULE_SWITCHED_OFF`)."""
    query = (
        select(Invitation.id, Invitation.instrument_id, Invitation.slot_key, ScheduleRule)
        .join(ScheduleRule, ScheduleRule.id == Invitation.rule_id)
        .where(
            Invitation.episode_id == episode.id,
            Invitation.state == InvitationState.SCHEDULED,
            ScheduleRule.active.is_(True),
        )
    )
    if rule_id is not None:
        query = query.where(Invitation.rule_id == rule_id)
    if only is not None:
        query = query.where(Invitation.id.in_(only))
    own_weekdays = parse_iso_weekdays(episode.own_weekdays) or None
    stale = [
        row.id
        for row in session.execute(query)
        if not still_asked_for(
            domain_rule(row.ScheduleRule),
            row.instrument_id,
            row.slot_key,
            own_weekdays=own_weekdays,
        )
    ]
    return cancel_invitations(session, stale, NonResponse.PLAN_CHANGED, now)
