"""Folding the standing-choice history: the newest event of each choice decides what holds."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from fit_platform.domain.own_plan import (
    ChoiceEvent,
    ChoiceEventKind,
    ChoiceKind,
    CrisisPlanText,
    PlanPart,
    RecordedBy,
    holding_choices,
)

T0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def _event(event_id: int, choice_id: int, event: ChoiceEventKind, text: str = "") -> ChoiceEvent:
    return ChoiceEvent(
        choice_id=choice_id,
        event=event,
        kind=ChoiceKind.OTHER,
        text=text,
        recorded_by=RecordedBy.PATIENT,
        at=T0 + dt.timedelta(hours=event_id),
        event_id=event_id,
    )


def test_a_changed_choice_holds_with_its_newest_words_and_its_first_date() -> None:
    events = [
        _event(1, 1, ChoiceEventKind.RECORDED, "first"),
        _event(2, 2, ChoiceEventKind.RECORDED, "other"),
        _event(3, 1, ChoiceEventKind.CHANGED, "second"),
        _event(4, 2, ChoiceEventKind.WITHDRAWN, "other"),
    ]
    (holding,) = holding_choices(reversed(events))
    assert (holding.choice_id, holding.text, holding.event_id) == (1, "second", 3)
    assert holding.first_recorded_at == T0 + dt.timedelta(hours=1)
    assert holding.at == T0 + dt.timedelta(hours=3)


@given(st.lists(st.sampled_from(list(ChoiceEventKind)), min_size=1, max_size=8))
def test_a_choice_holds_exactly_when_its_newest_event_is_not_a_withdrawal(
    kinds: list[ChoiceEventKind],
) -> None:
    events = [_event(n, 1, kind) for n, kind in enumerate(kinds, start=1)]
    holds = bool(holding_choices(events))
    assert holds == (kinds[-1] is not ChoiceEventKind.WITHDRAWN)


def test_a_plan_of_empty_parts_is_empty_and_an_overlong_part_is_named() -> None:
    assert CrisisPlanText().is_empty
    plan = CrisisPlanText(who_to_call="x" * 1001)
    assert not plan.is_empty
    assert plan.too_long() == (PlanPart.WHO_TO_CALL,)
