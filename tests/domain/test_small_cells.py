"""Small-cell suppression: no shown cell is based on fewer than five patients, and no single
hidden cell can be worked out from the group total and the shown cells."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fit_platform.domain.small_cells import (
    MIN_PATIENTS_PER_CELL,
    cell,
    hidden_in_group,
    suppress_group,
)

groups = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=12)


def test_the_threshold_is_five_patients() -> None:
    assert MIN_PATIENTS_PER_CELL == 5
    assert cell(2.5, 4).suppressed and cell(2.5, 4).value is None
    assert cell(2.5, 5).value == 2.5 and not cell(2.5, 5).suppressed


@given(groups)
def test_no_shown_cell_is_based_on_fewer_than_five_patients(patients: list[int]) -> None:
    for n, shown in zip(patients, suppress_group(patients), strict=True):
        if not shown.suppressed:
            assert n >= MIN_PATIENTS_PER_CELL
            assert shown.value == n
        else:
            assert shown.value is None


@given(groups)
def test_no_single_hidden_cell_can_be_derived_from_the_total(patients: list[int]) -> None:
    cells = suppress_group(patients)
    hidden = [index for index, c in enumerate(cells) if c.suppressed]
    total = sum(patients)
    shown_sum = sum(patients[i] for i, c in enumerate(cells) if not c.suppressed)
    if len(patients) > 1 and hidden:
        # Total minus the shown cells gives only the sum of two or more hidden cells.
        assert len(hidden) >= 2
        assert total - shown_sum == sum(patients[i] for i in hidden)


@given(groups)
def test_suppression_only_ever_adds_hidden_cells(patients: list[int]) -> None:
    hidden = hidden_in_group(patients)
    assert all(hidden[i] for i, n in enumerate(patients) if n < MIN_PATIENTS_PER_CELL)
    assert sum(hidden) <= sum(n < MIN_PATIENTS_PER_CELL for n in patients) + 1


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    assert hidden_in_group([3, 40, 7, 12]) == [True, False, True, False]
    assert hidden_in_group([10, 20]) == [False, False]
    assert hidden_in_group([2, 3, 30]) == [True, True, False]
