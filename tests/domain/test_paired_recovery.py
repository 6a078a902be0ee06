"""Paired NHS Talking Therapies recovery: caseness on PHQ-9 and/or GAD-7 at the start, below
both at the end."""

from __future__ import annotations

from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.paired_recovery import assess_paired

LIBRARY = default_instruments()
PHQ9, GAD7 = LIBRARY["phq9"], LIBRARY["gad7"]


def test_caseness_on_either_questionnaire_and_below_both_at_the_end_is_recovery() -> None:
    outcome = assess_paired(PHQ9, GAD7, (18, 6), (7, 3))  # depressed only, both low at the end
    assert outcome.at_caseness and outcome.recovered
    assert outcome.reliable_improvement and outcome.reliably_recovered


def test_still_anxious_at_the_end_is_not_recovery_even_when_depression_lifted() -> None:
    outcome = assess_paired(PHQ9, GAD7, (18, 4), (12, 9))
    assert outcome.at_caseness and not outcome.recovered
    assert outcome.reliable_improvement and not outcome.reliably_recovered


def test_below_both_cut_offs_at_the_start_is_not_counted_for_recovery() -> None:
    outcome = assess_paired(PHQ9, GAD7, (9, 3), (7, 2))
    assert not outcome.at_caseness and not outcome.recovered


def test_gad7_from_eight_is_caseness_in_the_pair() -> None:
    assert assess_paired(PHQ9, GAD7, (5, 5), (8, 7)).at_caseness
    assert not assess_paired(PHQ9, GAD7, (5, 5), (7, 7)).at_caseness


def test_recovery_without_reliable_change_is_not_reliable_recovery() -> None:
    outcome = assess_paired(PHQ9, GAD7, (11, 8), (8, 6))  # both fell, neither reliably
    assert outcome.recovered and not outcome.reliable_improvement
    assert not outcome.reliably_recovered


def test_improving_on_one_and_deteriorating_on_the_other_is_neither() -> None:
    outcome = assess_paired(PHQ9, GAD7, (20, 10), (4, 12))
    assert not outcome.reliable_improvement and not outcome.reliable_deterioration
