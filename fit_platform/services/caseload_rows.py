"""What a caseload row holds, and how the rows are ordered ("What needs attention first") and
filtered; plain Python over the rows `services/caseload.py` reads, no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from fit_platform.domain.codes import ConsentState, EpisodeStatus, Role
from fit_platform.domain.signals import SEVERITY, Severity, SignalCode
from fit_platform.services.delivery_status import Undelivered
from fit_platform.services.unattended import UnattendedEpisode


class CaseloadStatus(StrEnum):
    """The one-word status shown next to its colour (never the colour alone)."""

    RISK = "risk"  # an open risk signal nobody has acknowledged
    ATTENTION = "attention"  # any other open signal
    ON_TRACK = "on_track"  # answers and no open signal
    NO_ANSWERS = "no_answers"


class CaseloadSort(StrEnum):
    PRIORITY = "priority"  # by `AttentionTier`, then next appointment
    APPOINTMENT = "appointment"
    NAME = "name"


class CaseloadShow(StrEnum):
    ALL = "all"
    SIGNALS = "signals"
    UNANSWERED = "unanswered"
    NOT_ACTIVE_CONSENT = "consent"
    # A questionnaire never reached the patient (the row's "Not delivered: N").
    NOT_DELIVERED = "not_delivered"
    # The patient asked for fewer questionnaires and the schedule has not changed since.
    FEWER_WISH = "fewer"
    # A samvalg decision's review date has come (`domain/samvalg_review.py`).
    REVIEW_DUE = "review"


class CaseloadScope(StrEnum):
    MINE = "mine"  # episodes I am on (EpisodeTherapist)
    UNIT = "unit"  # every episode of the units I lead


@dataclass(frozen=True)
class CaseloadQuery:
    sort: CaseloadSort = CaseloadSort.PRIORITY
    show: CaseloadShow = CaseloadShow.ALL
    scope: CaseloadScope | None = None  # None: mine for therapists, unit for unit leads
    include_ended: bool = False


DEFAULT_QUERY = CaseloadQuery()  # by priority, every row, the viewer's default scope


@dataclass(frozen=True)
class OpenFlag:
    """The open signals of one code in an episode, shown once: a patient who gave a risk
    answer in five questionnaires is one "Risk answer" with 5 and the latest date, not five.
    `unacknowledged` counts the ones nobody has acted on yet: a new risk answer after the
    therapist acknowledged the earlier ones makes the flag one to act on again."""

    code: SignalCode | str
    count: int
    latest_at: dt.datetime
    unacknowledged: int
    # When the oldest of the ones nobody has acted on was raised (None: all acknowledged).
    waiting_since: dt.datetime | None = None


def open_flags(signals: list[tuple[str, bool, dt.datetime]]) -> tuple[OpenFlag, ...]:
    """One flag per code from (code, unacknowledged, raised at) rows: risk first, then in the
    order each code was first raised."""
    by_code: dict[str, list[tuple[bool, dt.datetime]]] = {}
    for code, unacknowledged, raised_at in signals:
        by_code.setdefault(code, []).append((unacknowledged, raised_at))
    flags = [
        OpenFlag(
            _signal_code(code),
            len(rows),
            max(at for _, at in rows),
            sum(1 for unacknowledged, _ in rows if unacknowledged),
            min((at for unacknowledged, at in rows if unacknowledged), default=None),
        )
        for code, rows in by_code.items()
    ]
    return tuple(sorted(flags, key=lambda f: f.code != SignalCode.RISK_ANSWER))


@dataclass(frozen=True)
class CaseloadRow:
    episode_id: int
    patient_id: int
    patient_name: str
    unit_id: int
    unit_name: str
    role: Role
    episode_status: EpisodeStatus
    next_appointment: dt.datetime | None
    latest_instrument: str | None
    latest_total: float | None
    latest_band: str | None
    latest_at: dt.datetime | None
    # Each open signal's code once (risk first); `open_flags` has the count and latest date.
    open_signals: tuple[SignalCode | str, ...]
    unacknowledged_risk: bool
    unanswered_invitations: int
    consent_state: ConsentState
    paused_until: dt.date | None
    # Questionnaires whose message failed for good (None: every one reached the patient).
    not_delivered: Undelivered | None = None
    # When the patient asked for fewer questionnaires, while no schedule change followed.
    fewer_wish_at: dt.datetime | None = None
    # The earliest review date of a samvalg decision due to be looked at again (None: none).
    review_due_on: dt.date | None = None
    # The unit is archived: no questionnaire is sent to this patient any more.
    unit_archived: bool = False
    # The latest answer to any form, outcome or not: a patient whose only answers are to an
    # alliance or a group form has answered, though "Latest score" has no outcome to show.
    last_answer_instrument: str | None = None
    last_answer_at: dt.datetime | None = None
    open_flags: tuple[OpenFlag, ...] = ()
    # The responsible therapists' names, for a unit lead's list (empty on the therapist's own).
    therapists: tuple[str, ...] = ()

    @property
    def status(self) -> CaseloadStatus:
        if self.unacknowledged_risk:
            return CaseloadStatus.RISK
        if self.open_signals:
            return CaseloadStatus.ATTENTION
        if self.latest_at is None and self.last_answer_at is None:
            return CaseloadStatus.NO_ANSWERS
        return CaseloadStatus.ON_TRACK


@dataclass(frozen=True)
class EscalatedSignal:
    signal_id: int
    episode_id: int
    patient_name: str
    raised_at: dt.datetime
    # Whom the lead follows up with: the episode's responsible therapists (empty: none).
    therapists: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnledSignal:
    """An overdue risk signal in a unit without a lead: escalation reached nobody."""

    signal_id: int
    episode_id: int
    patient_name: str
    unit_name: str
    raised_at: dt.datetime


@dataclass(frozen=True)
class Caseload:
    rows: list[CaseloadRow]
    scope: CaseloadScope
    escalated: list[EscalatedSignal]
    # Overdue risk signals of listed patients whose unit has no active lead.
    unled: list[UnledSignal] = field(default_factory=list)
    # Units where the viewer is a therapist and nobody leads: escalation would reach nobody.
    units_without_lead: list[str] = field(default_factory=list)
    # For leads: open episodes of their units whose responsible behandler is not active.
    unattended: list[UnattendedEpisode] = field(default_factory=list)


def _signal_code(code: str) -> SignalCode | str:
    try:
        return SignalCode(code)
    except ValueError:
        return code


class AttentionTier(IntEnum):
    """The groups of "What needs attention first", in order. Risk answers nobody has acted on
    come by how long they have waited, the longest first: they are to be acted on at once,
    whenever the next session is, and the oldest is the one the unit lead has been told of.
    In the other groups the next appointment comes first: the session nearest in time is the
    one to prepare for."""

    UNACKNOWLEDGED_RISK = 0  # a risk answer nobody has acted on
    NEW_SIGNAL = 1  # a medium signal nobody has acknowledged (a worsening, not on track, ...)
    NEW_MISSED_ANSWERS = 2  # only low ones nobody has acknowledged (answers missed in a row)
    ACKNOWLEDGED = 3  # open signals the therapist has already acknowledged
    NO_SIGNAL = 4


def attention_tier(flags: tuple[OpenFlag, ...]) -> AttentionTier:
    """Which group a patient's open flags put them in. Not the number of flags: a patient with
    two signals the therapist acknowledged last week needs less now than one with a new
    reliable deterioration, and the number of kinds of signal says nothing about how serious
    any of them is. Severity is fixed per code (`domain.signals.SIGNAL_RULES`); a code this
    version does not know counts as medium, never as low."""
    new = [flag for flag in flags if flag.unacknowledged]
    if any(flag.code == SignalCode.RISK_ANSWER for flag in new):
        return AttentionTier.UNACKNOWLEDGED_RISK
    if any(_severity(flag.code) is not Severity.LOW for flag in new):
        return AttentionTier.NEW_SIGNAL
    if new:
        return AttentionTier.NEW_MISSED_ANSWERS
    if flags:
        return AttentionTier.ACKNOWLEDGED
    return AttentionTier.NO_SIGNAL


def _severity(code: SignalCode | str) -> Severity:
    return SEVERITY[code] if isinstance(code, SignalCode) else Severity.MEDIUM


def sort_key(sort: CaseloadSort, row: CaseloadRow) -> tuple[object, ...]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    next_at = row.next_appointment or far
    name = row.patient_name.casefold()
    if sort is CaseloadSort.NAME:
        return (name, row.episode_id)
    if sort is CaseloadSort.APPOINTMENT:
        return (next_at, name, row.episode_id)
    tier = attention_tier(row.open_flags)
    if tier is AttentionTier.UNACKNOWLEDGED_RISK:
        waiting = min(
            flag.waiting_since
            for flag in row.open_flags
            if flag.code == SignalCode.RISK_ANSWER and flag.waiting_since is not None
        )
        return (tier, waiting, next_at, name, row.episode_id)
    return (tier, far, next_at, name, row.episode_id)


def shown_by(show: CaseloadShow, row: CaseloadRow) -> bool:
    if show is CaseloadShow.SIGNALS:
        return bool(row.open_signals)
    if show is CaseloadShow.UNANSWERED:
        return row.unanswered_invitations > 0
    if show is CaseloadShow.NOT_ACTIVE_CONSENT:
        return row.consent_state is not ConsentState.ACTIVE
    if show is CaseloadShow.NOT_DELIVERED:
        # Filtered from the rows already read, so the filter adds no statement.
        return row.not_delivered is not None
    if show is CaseloadShow.FEWER_WISH:
        return row.fewer_wish_at is not None
    if show is CaseloadShow.REVIEW_DUE:
        return row.review_due_on is not None
    return True
