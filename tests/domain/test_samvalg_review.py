"""When a samvalg decision is due to be looked at again (`domain/samvalg_review.py`)."""

from __future__ import annotations

import datetime as dt

from fit_platform.domain.samvalg_review import DecisionDates, reviews_due

DEC_1 = dt.date(2026, 12, 1)
REVIEW = dt.date(2026, 12, 21)


def test_a_decision_is_due_from_its_review_day() -> None:
    decision = DecisionDates(1, REVIEW, DEC_1)
    assert reviews_due([decision], REVIEW - dt.timedelta(days=1)) == frozenset()
    assert reviews_due([decision], REVIEW) == {1}
    assert reviews_due([decision], REVIEW + dt.timedelta(days=30)) == {1}


def test_a_decision_recorded_on_or_after_the_review_day_is_the_looking_again() -> None:
    first = DecisionDates(1, REVIEW, DEC_1)
    before = DecisionDates(2, None, REVIEW - dt.timedelta(days=1))
    assert reviews_due([first, before], REVIEW) == {1}
    on_the_day = DecisionDates(3, None, REVIEW)
    assert reviews_due([first, on_the_day], REVIEW) == frozenset()


def test_a_decision_without_a_review_date_is_never_due() -> None:
    assert reviews_due([DecisionDates(1, None, DEC_1)], REVIEW) == frozenset()


def test_each_decision_is_judged_on_its_own_date() -> None:
    early = DecisionDates(1, dt.date(2026, 12, 10), DEC_1)
    late = DecisionDates(2, dt.date(2027, 1, 10), dt.date(2026, 12, 15))
    # The later decision looked at the first one again; its own date has not come.
    assert reviews_due([early, late], dt.date(2026, 12, 20)) == frozenset()
    assert reviews_due([early, late], dt.date(2027, 1, 10)) == {2}


def test_a_review_set_for_the_day_of_the_decision_is_due_that_day_not_met_by_itself() -> None:
    """A decision recorded on 8 Dec to be looked at again on 8 Dec met its own review and was
    never due; only a decision recorded after it meets it."""
    same_day = DecisionDates(1, REVIEW, REVIEW)
    assert reviews_due([same_day], REVIEW) == {1}
    earlier_that_day = DecisionDates(0, None, REVIEW)
    assert reviews_due([earlier_that_day, same_day], REVIEW) == {1}
    assert reviews_due([same_day, DecisionDates(2, None, REVIEW)], REVIEW) == frozenset()
