"""Which samvalg decisions are due to be looked at again, for the pre-session view.

The patient's progress page tells her "You will look at this again around <date>" when a
decision has a review date. The therapist's view marks such a decision once that day has
come, until a later decision is recorded on or after it (recording one is looking again).
Nothing is marked in a closed episode: no session is left to look at it in.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fit_platform.services.presession import PreSession


def reviews_due(view: PreSession, today: dt.date, zone: ZoneInfo) -> frozenset[int]:
    """The ids of the view's decisions whose review date has come and not been met."""
    if view.is_closed:
        return frozenset()
    recorded_on = [decision.recorded_at.astimezone(zone).date() for decision in view.decisions]
    return frozenset(
        decision.id
        for decision in view.decisions
        if decision.review_on is not None
        and decision.review_on <= today
        and not any(day >= decision.review_on for day in recorded_on)
    )
