"""What the pre-session view shows, as data: the view (`PreSession`) and its parts.

The building (`presession.presession`) and the pages both use these types; keeping them apart
from the queries lets the presenters, the journal summary and the review rule import what they
read without the building's query machinery. `signal_flags` is here because the page's flags
are a way of looking at the view's signals (`PreSession.open_flags`), not part of building it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from fit_platform.domain.codes import (
    Actor,
    Channel,
    ConsentEventKind,
    ConsentState,
    EpisodeStatus,
    MessageKind,
    Role,
)
from fit_platform.domain.signals import SignalCode
from fit_platform.messaging.delivery_problem import DeliveryProblem
from fit_platform.services.comments import PatientWords
from fit_platform.services.own_plan import OwnPlanView
from fit_platform.services.score_trends import InstrumentTrend
from fit_platform.services.signal_answers import AnswerChange, UnfinishedAnswer


@dataclass(frozen=True)
class SignalView:
    id: int
    code: str
    severity: str
    instrument_id: str | None
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    acknowledge_note: str | None
    escalated_at: dt.datetime | None
    # A risk signal still unacknowledged after the escalation time (marked or not yet).
    overdue: bool = False
    answer_changes: tuple[AnswerChange, ...] = ()
    resolved_at: dt.datetime | None = None
    resolved_by: str | None = None
    resolve_note: str | None = None
    # The answers so far when the questionnaire that raised it was not finished, and how many
    # questions it has (the view says "9 of 10 answered").
    unfinished_answers: tuple[UnfinishedAnswer, ...] = ()
    unfinished_of: int = 0
    # Raised by a page sent after the questionnaire's time ran out (`keep_late_risk_answer`).
    after_deadline: bool = False


@dataclass(frozen=True)
class SignalFlag:
    """The open signals of one code, shown as one flag: how many times and the latest.

    `signals` are newest first. Each risk answer still has to be acted on: the flag asks for an
    acknowledgement while any of its signals has none (`waiting`), so a new risk answer after
    the therapist acknowledged the earlier ones makes it one to act on again. Acting on the
    flag acts on the signals shown, up to the newest (`services.signal_workflow`): one raised
    after the page was read is not covered by it."""

    signals: tuple[SignalView, ...]

    @property
    def latest(self) -> SignalView:
        return self.signals[0]

    @property
    def code(self) -> str:
        return self.latest.code

    @property
    def count(self) -> int:
        return len(self.signals)

    @property
    def waiting(self) -> tuple[SignalView, ...]:
        """The signals nobody has acknowledged yet, newest first."""
        return tuple(s for s in self.signals if s.acknowledged_at is None)

    @property
    def acknowledged(self) -> tuple[SignalView, ...]:
        return tuple(s for s in self.signals if s.acknowledged_at is not None)

    @property
    def overdue(self) -> bool:
        return any(s.overdue for s in self.signals)

    @property
    def acknowledge_id(self) -> int | None:
        """The signal the flag's acknowledgement is posted for: the newest waiting one (the
        service covers the earlier ones of the code with it)."""
        waiting = self.waiting
        return waiting[0].id if waiting else None

    @property
    def resolve_id(self) -> int:
        return self.latest.id

    @property
    def resolvable_now(self) -> bool:
        """Whether the page offers "Resolve": not while a risk answer waits to be acknowledged
        (`services.signal_workflow` refuses it)."""
        return not (self.waiting and self.code == SignalCode.RISK_ANSWER.value)

    @property
    def high(self) -> bool:
        return any(s.severity == "high" for s in self.signals)


def signal_flags(signals: Iterable[SignalView]) -> tuple[SignalFlag, ...]:
    """One flag per code, high severity first, then by the newest signal (newest first)."""
    by_code: dict[str, list[SignalView]] = {}
    for signal in signals:
        by_code.setdefault(signal.code, []).append(signal)
    flags = [
        SignalFlag(tuple(sorted(group, key=lambda s: (s.raised_at, s.id), reverse=True)))
        for group in by_code.values()
    ]
    return tuple(
        sorted(flags, key=lambda f: (not f.high, -f.latest.raised_at.timestamp(), -f.latest.id))
    )


@dataclass(frozen=True)
class ConsentEntry:
    kind: ConsentEventKind
    actor: Actor
    at: dt.datetime
    paused_until: dt.date | None
    channel: Channel | None
    staff_name: str | None = None  # who, for an event a staff member recorded


@dataclass(frozen=True)
class FailedDelivery:
    kind: MessageKind
    channel: Channel
    attempts: int
    at: dt.datetime
    problem: DeliveryProblem = DeliveryProblem.SERVICE


@dataclass(frozen=True)
class DecisionView:
    id: int
    signal_id: int | None
    options_discussed: str
    what_matters: str | None
    decision: str
    review_on: dt.date | None
    recorded_at: dt.datetime
    recorded_by: str
    visible_to_patient: bool
    corrected_at: dt.datetime | None = None
    # Who corrected it last (who withdrew it, for a withdrawn record).
    changed_by: str | None = None


@dataclass(frozen=True)
class WithdrawnDecisionView:
    """A samvalg record withdrawn as written in error: shown without its words."""

    id: int
    recorded_at: dt.datetime
    recorded_by: str
    withdrawn_at: dt.datetime
    withdrawn_by: str
    reason: str


@dataclass(frozen=True)
class PreSession:
    episode_id: int
    patient_id: int
    patient_name: str
    unit_name: str
    role: Role
    episode_status: EpisodeStatus
    started_on: dt.date
    # The local date the episode was closed (None while active): the pages say "Closed on"
    # and offer no change that implies further treatment.
    ended_on: dt.date | None
    next_appointment: dt.datetime | None
    goals: tuple[str, ...]
    # Comments and consent reasons, newest first ("The patient's own words").
    own_words: tuple[PatientWords, ...]
    topics: tuple[tuple[str, dt.datetime], ...]
    outcome: tuple[InstrumentTrend, ...]
    alliance: tuple[InstrumentTrend, ...]
    open_signals: tuple[SignalView, ...]
    consent_state: ConsentState
    paused_until: dt.date | None
    consent_history: tuple[ConsentEntry, ...]
    failed_deliveries: tuple[FailedDelivery, ...]
    decisions: tuple[DecisionView, ...]
    # Active unit leads of the episode's unit: who an overdue risk signal is shown to.
    unit_leads: tuple[str, ...] = ()
    # The unit is archived: it sends nothing new, so an open episode gets no questionnaires.
    unit_archived: bool = False
    # The episode's plan has a rule in use; without one nothing is ever sent to the patient.
    rules_in_use: bool = True
    # Resolved signals, latest resolved first, with who resolved them and the note: what was
    # done stays readable after the signal is closed (at most `presession.RESOLVED_SHOWN`).
    resolved_signals: tuple[SignalView, ...] = ()
    # The patient's crisis plan and standing choices, when asked for (``with_own_plan``).
    own_plan: OwnPlanView | None = None
    # For a unit lead's read: the active responsible therapists, whom the lead follows up with
    # (empty on the therapist's own read, and when nobody active is responsible).
    therapists: tuple[str, ...] = ()
    # Samvalg records withdrawn as written in error, newest first (`decisions` has the rest).
    withdrawn_decisions: tuple[WithdrawnDecisionView, ...] = ()
    # For a unit lead's read of an open episode with an overdue risk signal: the patient's
    # mobile number and e-mail address on file (None each when not on file), so the lead can
    # reach her; None otherwise, and always on the therapist's own read (the contact page).
    lead_contact: tuple[str | None, str | None] | None = None
    # When the episode changed its responsible therapist, oldest first (the header names the
    # last; the tables and charts mark each).
    transfers: tuple[dt.datetime, ...] = ()

    @property
    def open_flags(self) -> tuple[SignalFlag, ...]:
        """The open signals as the page lists them: each code once (`SignalFlag`)."""
        return signal_flags(self.open_signals)

    @property
    def is_closed(self) -> bool:
        return self.episode_status is not EpisodeStatus.ACTIVE
