"""What an episode's plan will send in the coming days, if nothing changes: for the schedule
page, so a therapist sees when the next questionnaires go before they go.

Worked out by the scheduler's own computation (`enqueue.due_for`: the episode's rules in use,
its appointments, the patient's consent and channel, the invitations it already has, the
unit's quiet hours), with a horizon of `days` instead of the tick's minute. Nothing is stored.
What the candidate SQL of a tick would leave out (an episode nobody sees the answers of, a
closed or archived one) the page says in its own words above the plan.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from fit_platform.db import Database
from fit_platform.domain.schedule_model import DueInvitation
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.services.enqueue import due_for, lookback_for, rule_bounds

DAYS_AHEAD = 14

log = logging.getLogger(__name__)


def upcoming_invitations(
    db: Database, episode_id: int, now: dt.datetime, *, zone: ZoneInfo, days: int = DAYS_AHEAD
) -> list[DueInvitation] | None:
    """The invitations the episode's rules create from `now` to `days` days ahead, in send
    order: those the scheduler would send (not those it would record as not sent). One due
    now goes at the next tick; the page says "at once". None when the rules cannot be worked
    out for this episode's data (the tick then leaves it out too, and logs it): the page says
    so rather than fail."""
    try:
        with db.session(now=now) as session:
            _offset, max_window, max_interval = rule_bounds(session)
            due = due_for(
                session,
                [episode_id],
                now,
                dt.timedelta(days=days),
                lookback_for(max_window, max_interval),
                DEFAULT_MIN_ANSWER_WINDOW,
                zone,
            )
    except (OverflowError, ValueError):
        log.warning(
            "upcoming questionnaires not worked out",
            extra={"episode_id": episode_id},
            exc_info=True,
        )
        return None
    return sorted(
        (d.invitation for d in due if d.invitation.skipped is None),
        key=lambda invitation: (invitation.send_at, invitation.instrument_id),
    )
