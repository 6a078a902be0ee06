"""The patient's own plan: a crisis plan in their own words and standing choices.

Both are the patient's words, kept as an append-only history: a crisis plan is a series of
versions (the newest is the plan), a standing choice is a series of events (recorded, changed,
withdrawn; the newest event decides what holds). This module folds those histories; it does
not read or write them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# Each part of the plan is a short text a person can read aloud in a crisis.
PLAN_PART_MAX = 1000
CHOICE_TEXT_MAX = 500
# Enough for every real use; a limit keeps a scripted client from filling the table.
MAX_OPEN_CHOICES = 20


class PlanPart(StrEnum):
    """The parts of a crisis plan, in the order they are shown."""

    WARNING_SIGNS = "warning_signs"
    WHAT_HELPS = "what_helps"
    WHO_TO_CALL = "who_to_call"
    STAFF_SHOULD = "staff_should"
    STAFF_SHOULD_NOT = "staff_should_not"


@dataclass(frozen=True)
class CrisisPlanText:
    """One version of the plan: the patient's text for each part ("" when left empty)."""

    warning_signs: str = ""
    what_helps: str = ""
    who_to_call: str = ""
    staff_should: str = ""
    staff_should_not: str = ""

    def part(self, part: PlanPart) -> str:
        text: str = getattr(self, part.value)
        return text

    @property
    def is_empty(self) -> bool:
        return not any(self.part(part) for part in PlanPart)

    def too_long(self) -> tuple[PlanPart, ...]:
        return tuple(part for part in PlanPart if len(self.part(part)) > PLAN_PART_MAX)


class ChoiceKind(StrEnum):
    """The fixed kinds of standing choice; the patient adds their own words to each."""

    ENDED_APPROACH = "ended_approach"  # "I have ended approach X and do not consent to it"
    MEDICATION_FREE = "medication_free"  # "I want a medication-free option discussed"
    CONTACT_PERSON = "contact_person"  # who staff may (or may not) contact
    OTHER = "other"


class ChoiceEventKind(StrEnum):
    RECORDED = "recorded"
    CHANGED = "changed"
    WITHDRAWN = "withdrawn"


class RecordedBy(StrEnum):
    """Who wrote the event: the patient on their own, or the therapist with the patient."""

    PATIENT = "patient"
    THERAPIST_WITH_PATIENT = "therapist_with_patient"


@dataclass(frozen=True)
class ChoiceEvent:
    choice_id: int
    event: ChoiceEventKind
    kind: ChoiceKind
    text: str
    recorded_by: RecordedBy
    at: dt.datetime
    event_id: int


@dataclass(frozen=True)
class EarlierWords:
    """Words a choice had before it was changed, and who recorded them when."""

    text: str
    recorded_by: RecordedBy
    at: dt.datetime


@dataclass(frozen=True)
class StandingChoice:
    """A choice as it holds now: its kind and words from the newest event."""

    choice_id: int
    kind: ChoiceKind
    text: str
    recorded_by: RecordedBy
    at: dt.datetime  # when the words now in force were recorded
    first_recorded_at: dt.datetime
    event_id: int  # the event that recorded the words now in force
    # The words it had before, newest first: the patient was told her history is kept, and
    # "not before May" reads differently beside the "no exposure therapy" it replaced.
    earlier: tuple[EarlierWords, ...] = ()


def holding_choices(events: Iterable[ChoiceEvent]) -> tuple[StandingChoice, ...]:
    """The choices that hold now, oldest first: each choice's newest event wins, and a
    withdrawn choice holds no longer. Events are ordered by id, which is the order written."""
    newest, first, words = _by_choice(events)
    return tuple(
        StandingChoice(
            e.choice_id,
            e.kind,
            e.text,
            e.recorded_by,
            e.at,
            first[e.choice_id],
            e.event_id,
            tuple(
                EarlierWords(old.text, old.recorded_by, old.at)
                for old in reversed(words[e.choice_id][:-1])
            ),
        )
        for e in sorted(newest.values(), key=lambda e: e.choice_id)
        if e.event is not ChoiceEventKind.WITHDRAWN
    )


def _by_choice(
    events: Iterable[ChoiceEvent],
) -> tuple[dict[int, ChoiceEvent], dict[int, dt.datetime], dict[int, list[ChoiceEvent]]]:
    """Per choice, in the order written (event id): its newest event, when it was first
    recorded, and the events that carried words, oldest first (a withdrawal carries none)."""
    newest: dict[int, ChoiceEvent] = {}
    first: dict[int, dt.datetime] = {}
    words: dict[int, list[ChoiceEvent]] = {}
    for event in sorted(events, key=lambda e: e.event_id):
        first.setdefault(event.choice_id, event.at)
        newest[event.choice_id] = event
        if event.event is not ChoiceEventKind.WITHDRAWN:
            words.setdefault(event.choice_id, []).append(event)
    return newest, first, words


@dataclass(frozen=True)
class WithdrawnChoice:
    """A choice that held once and was withdrawn: its last words, and who withdrew it when."""

    kind: ChoiceKind
    text: str
    first_recorded_at: dt.datetime
    withdrawn_at: dt.datetime
    withdrawn_by: RecordedBy


def withdrawn_choices(events: Iterable[ChoiceEvent]) -> tuple[WithdrawnChoice, ...]:
    """The choices withdrawn so far, newest withdrawal first. The patient is told "Your
    history is kept": a withdrawn choice ("no more exposure therapy") stays readable for her
    and her therapist, not only in her data export."""
    newest, first, words = _by_choice(events)
    gone = [e for e in newest.values() if e.event is ChoiceEventKind.WITHDRAWN]
    # Every choice starts with the event that recorded it, so each has words to show.
    return tuple(
        WithdrawnChoice(
            kind=words[e.choice_id][-1].kind,
            text=words[e.choice_id][-1].text,
            first_recorded_at=first[e.choice_id],
            withdrawn_at=e.at,
            withdrawn_by=e.recorded_by,
        )
        for e in sorted(gone, key=lambda e: e.event_id, reverse=True)
    )
