"""Whether an instrument may be scheduled, and why not.

Only an instrument whose definition is ``active`` is ever sent to a patient. A ``draft``
definition (items or answer scale not yet checked against the publication, e.g. the SAI) or a
``retired`` one can still score responses already stored, but no schedule rule may name it and
the scheduler never creates an invitation for it, even when an old rule does.
"""

from __future__ import annotations

from enum import StrEnum

from fit_platform.domain.instruments import Instrument, RecommendedUse


class NotSchedulable(StrEnum):
    """Why an instrument cannot be scheduled (stable codes; the web layer translates them)."""

    UNKNOWN = "unknown"  # no definition with this id is loaded
    DRAFT = "draft"  # the definition is not yet fit for clinical use
    RETIRED = "retired"  # replaced or withdrawn; kept so old responses still read
    # Sent after a recorded group session to the members who attended (docs/groups.md); a
    # schedule of one patient would ask about a group session that never took place.
    GROUP_ONLY = "group_only"


def why_not_schedulable(instrument: Instrument | None) -> NotSchedulable | None:
    """None when ``instrument`` may be scheduled, else the reason it may not."""
    if instrument is None:
        return NotSchedulable.UNKNOWN
    if instrument.status == "draft":
        return NotSchedulable.DRAFT
    if instrument.status == "retired":
        return NotSchedulable.RETIRED
    return None


def is_schedulable(instrument: Instrument | None) -> bool:
    return why_not_schedulable(instrument) is None


def why_not_on_a_schedule(instrument: Instrument | None) -> NotSchedulable | None:
    """None when a schedule rule (an episode's or a template's) may name ``instrument``."""
    reason = why_not_schedulable(instrument)
    if (
        reason is None
        and instrument is not None
        and instrument.recommended_use is RecommendedUse.AFTER_GROUP_SESSION
    ):
        return NotSchedulable.GROUP_ONLY
    return reason
