"""When a samvalg decision is due to be looked at again.

The patient's progress page tells her "You will look at this again around <date>" when a
decision has a review date. From that day the decision is due, until a later decision is
recorded on or after it (recording one is looking again). The pre-session view marks the
decision; the caseload marks the patient (`services/caseload_queries.reviews_due_by_episode`).
Dates are the service's local dates: the caller converts `recorded_at` with its zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class DecisionDates:
    id: int
    review_on: dt.date | None
    recorded_on: dt.date  # the local date it was recorded


def reviews_due(decisions: Collection[DecisionDates], today: dt.date) -> frozenset[int]:
    """The ids of an open episode's decisions whose review date has come and not been met.

    Met only by a later decision (a higher id: recorded after it): a decision whose review
    date was the day it was recorded met its own review, and was never due (a walk found it
    missing from the caseload's "review due")."""
    return frozenset(
        decision.id
        for decision in decisions
        if decision.review_on is not None
        and decision.review_on <= today
        and not any(
            other.id > decision.id and other.recorded_on >= decision.review_on
            for other in decisions
        )
    )
