"""Which samvalg decisions the pre-session view marks as due to be looked at again (the rule:
`domain/samvalg_review.py`). Nothing is marked in a closed episode: no session is left to
look at it in.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fit_platform.domain.samvalg_review import DecisionDates
from fit_platform.domain.samvalg_review import reviews_due as due_of
from fit_platform.services.presession_contents import PreSession


def reviews_due(view: PreSession, today: dt.date, zone: ZoneInfo) -> frozenset[int]:
    """The ids of the view's decisions whose review date has come and not been met."""
    if view.is_closed:
        return frozenset()
    return due_of(
        [
            DecisionDates(d.id, d.review_on, d.recorded_at.astimezone(zone).date())
            for d in view.decisions
        ],
        today,
    )
