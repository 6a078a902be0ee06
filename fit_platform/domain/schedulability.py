"""Whether an instrument may be scheduled, and why not.

Only an instrument whose definition is ``active`` is ever sent to a patient. A ``draft``
definition (items or answer scale not yet checked against the publication, e.g. the SAI) or a
``retired`` one can still score responses already stored, but no schedule rule may name it and
the scheduler never creates an invitation for it, even when an old rule does.
"""

from __future__ import annotations

from enum import StrEnum

from fit_platform.domain.instruments import Instrument


class NotSchedulable(StrEnum):
    """Why an instrument cannot be scheduled (stable codes; the web layer translates them)."""

    UNKNOWN = "unknown"  # no definition with this id is loaded
    DRAFT = "draft"  # the definition is not yet fit for clinical use
    RETIRED = "retired"  # replaced or withdrawn; kept so old responses still read


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
