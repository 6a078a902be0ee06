"""What the export returns: one row of suppressed cells per unit, programme and period."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fit_platform.domain.small_cells import HIDDEN, Cell

NO_PROGRAMME = "none"
# The code of a total row: programme `all` is a unit's total, unit `all` the all-units total.
ALL_CODE = "all"
ALL = -1  # the same as an id in a row's key (ids from the database are positive)
# A cell that does not apply (recovery on an instrument without a clinical cut-off).
NOT_APPLICABLE = Cell(None, False)


# Why an invitation went unanswered, grouped for the export. Counts of invitations. The codes
# stored on an invitation come from services/invitation_common.py NonResponse, services/
# consent.py, domain/send_window.py SkipReason (never sent: quiet hours, too little time, the
# time left after a pause),
# services/units_admin.py UNIT_ARCHIVED and services/episode_close.py EPISODE_CLOSED;
# tests/services/test_export_reasons.py fails when a stored code is in no group.
NON_RESPONSE_REASONS: dict[str, tuple[str, ...]] = {
    "not_sent": (
        "not_sent",
        "not_delivered",
        "not_sent_quiet_hours",
        "not_sent_too_little_time",
        "rule_switched_off",
        "plan_changed",
    ),
    "not_opened": ("not_opened",),
    "opened_not_completed": ("opened_not_completed",),
    "declined": ("declined_by_patient",),
    "paused_or_stopped": (
        "consent_withdrawn",
        "not_sent_after_pause",
        "paused",
        "paused_by_patient",
        "stopped",
        "stopped_by_patient",
    ),
    "appointment_changed": ("appointment_changed",),
    # Cancelled by an administrator: the unit was archived, or the episode closed.
    "unit_archived": ("unit_archived",),
    "episode_closed": ("episode_closed",),
}
PAIRED = ("phq9", "gad7")  # NHS Talking Therapies paired recovery: depression, anxiety


@dataclass(frozen=True)
class PairedAggregate:
    """NHS Talking Therapies paired recovery (PHQ-9 + GAD-7) for episodes with two or more
    scores on both, counted in the period of the later of the two latest scores."""

    patients: Cell
    at_caseness: Cell
    recovery_rate: Cell
    reliable_recovery_rate: Cell
    reliable_improvement: Cell
    reliable_deterioration: Cell


@dataclass(frozen=True)
class SignalAggregate:
    """Signals of every kind raised in the period, and how soon they were acted on."""

    raised: Cell
    acknowledged_share: Cell
    median_hours_to_acknowledge: Cell
    median_hours_to_resolve: Cell


@dataclass(frozen=True)
class OutcomeAggregate:
    """Change on one outcome instrument for the episodes whose latest score fell in the period."""

    instrument_id: str
    patients_with_two_scores: Cell
    mean_improvement: Cell
    reliable_improvement: Cell
    reliable_deterioration: Cell
    recovery_eligible: Cell
    recovery_rate: Cell
    mean_first_score: Cell = HIDDEN
    mean_latest_score: Cell = HIDDEN
    reliable_recovery_rate: Cell = HIDDEN


@dataclass(frozen=True)
class AggregateRow:
    unit_code: str
    unit_name: str
    programme_code: str
    programme_name: str
    period: str
    patients_invited: Cell
    invitations_sent: Cell
    invitations_answered: Cell
    response_rate: Cell
    outcomes: tuple[OutcomeAggregate, ...]
    alliance_mean: tuple[tuple[str, Cell], ...]
    median_hours_to_acknowledge_risk: Cell
    # Comments sent to the service only (the texts are read on their own page, never exported).
    service_comments: Cell = HIDDEN
    invitations_expired: Cell = HIDDEN
    invitations_declined: Cell = HIDDEN
    non_response: tuple[tuple[str, Cell], ...] = ()
    paired: PairedAggregate | None = None
    signals: SignalAggregate | None = None
    # Of the patients invited in the period, the share who paused or stopped feedback in it.
    consent_paused_or_stopped_share: Cell = HIDDEN


# unit id, programme id (None: no programme), period; ALL for a total. Never leaves this package.
Key = tuple[int, int | None, str]


def levels(key: Key, all_units: bool) -> Iterator[Key]:
    """The row a figure belongs to and the totals it is part of."""
    unit, _programme, period = key
    yield key
    yield (unit, ALL, period)
    if all_units:
        yield (ALL, ALL, period)
