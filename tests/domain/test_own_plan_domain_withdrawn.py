"""Withdrawn standing choices stay readable with their last words, and changed ones with their
earlier words (`domain/own_plan.py`)."""

from __future__ import annotations

import datetime as dt

from fit_platform.domain.own_plan import (
    ChoiceEvent,
    ChoiceEventKind,
    ChoiceKind,
    EarlierWords,
    RecordedBy,
    WithdrawnChoice,
    holding_choices,
    withdrawn_choices,
)

DAY = dt.timedelta(days=1)
T0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def _event(event_id: int, choice_id: int, event: ChoiceEventKind, text: str, days: int) -> (
    ChoiceEvent
):  # fmt: skip
    by = RecordedBy.THERAPIST_WITH_PATIENT if event_id == 5 else RecordedBy.PATIENT
    return ChoiceEvent(
        choice_id, event, ChoiceKind.ENDED_APPROACH, text, by, T0 + days * DAY, event_id
    )


def test_a_withdrawn_choice_keeps_its_last_words_and_who_withdrew_it_newest_first() -> None:
    events = [
        _event(1, 1, ChoiceEventKind.RECORDED, "No more exposure therapy", 0),
        _event(2, 2, ChoiceEventKind.RECORDED, "No ECT", 1),
        _event(3, 1, ChoiceEventKind.CHANGED, "No exposure therapy for now", 2),
        _event(4, 1, ChoiceEventKind.WITHDRAWN, "", 3),
        _event(5, 2, ChoiceEventKind.WITHDRAWN, "", 4),
        _event(6, 3, ChoiceEventKind.RECORDED, "Call my sister", 5),
    ]
    assert withdrawn_choices(events) == (
        WithdrawnChoice(
            ChoiceKind.ENDED_APPROACH,
            "No ECT",
            T0 + DAY,
            T0 + 4 * DAY,
            RecordedBy.THERAPIST_WITH_PATIENT,
        ),
        WithdrawnChoice(
            ChoiceKind.ENDED_APPROACH,
            "No exposure therapy for now",
            T0,
            T0 + 3 * DAY,
            RecordedBy.PATIENT,
        ),
    )
    assert [c.text for c in holding_choices(events)] == ["Call my sister"]


def test_a_changed_choice_keeps_its_earlier_words_newest_first() -> None:
    events = [
        _event(1, 1, ChoiceEventKind.RECORDED, "No more exposure therapy", 0),
        _event(2, 1, ChoiceEventKind.CHANGED, "No exposure therapy for now", 1),
        _event(3, 2, ChoiceEventKind.RECORDED, "Call my sister", 2),
        _event(5, 1, ChoiceEventKind.CHANGED, "Not before May", 3),
    ]
    changed, unchanged = holding_choices(events)
    assert changed.text == "Not before May" and changed.first_recorded_at == T0
    assert changed.earlier == (
        EarlierWords("No exposure therapy for now", RecordedBy.PATIENT, T0 + DAY),
        EarlierWords("No more exposure therapy", RecordedBy.PATIENT, T0),
    )
    assert unchanged.earlier == ()
