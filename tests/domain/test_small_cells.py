"""Small-cell suppression: no shown cell is based on fewer than five patients, and no single
hidden cell can be worked out from the group total and the shown cells."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fit_platform.domain.small_cells import (
    MIN_PATIENTS_PER_CELL,
    Equation,
    cell,
    hidden_in_group,
    hidden_in_table,
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
        # Knowing the total and the shown cells, someone learns only the hidden cells' sum. Each
        # hidden cell stays unknown when it has company and the sum is not zero: then any one of
        # them could hold one patient more or less, another one less or more.
        hidden_sum = total - shown_sum
        assert len(hidden) >= 2
        # (A total of zero gives every cell away whatever is hidden; it holds no one.)
        assert hidden_sum > 0 or total == 0


@given(groups)
def test_suppression_only_ever_adds_hidden_cells(patients: list[int]) -> None:
    hidden = hidden_in_group(patients)
    assert all(hidden[i] for i, n in enumerate(patients) if n < MIN_PATIENTS_PER_CELL)
    assert sum(hidden) <= sum(n < MIN_PATIENTS_PER_CELL for n in patients) + 1


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    assert hidden_in_group([3, 40, 7, 12]) == [True, False, True, False]
    assert hidden_in_group([10, 20]) == [False, False]
    assert hidden_in_group([2, 3, 30]) == [True, True, False]


def test_hidden_cells_that_hold_no_one_take_a_shown_cell_with_them() -> None:
    # 0 + 0 = 30 - 30: without the third cell hidden, both zeros could be read off the total.
    assert hidden_in_group([0, 0, 30]) == [True, True, True]


# --- Tables with totals: programmes add up to their unit, units to the all-units total --------

units_of_programmes = st.lists(
    st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=4),
    min_size=1,
    max_size=4,
)


def _table(units: list[list[int]]) -> tuple[list[int], list[Equation], list[set[int]]]:
    """Cells: the programme cells, then one total per unit, then the all-units total; each cell
    as the set of programme cells (leaves) it adds up."""
    counts: list[int] = []
    leaves: list[set[int]] = []
    unit_leaves: list[list[int]] = []
    for programmes in units:
        indices = []
        for n in programmes:
            indices.append(len(counts))
            counts.append(n)
            leaves.append({len(counts) - 1})
        unit_leaves.append(indices)
    equations = []
    unit_totals = []
    for indices in unit_leaves:
        unit_totals.append(len(counts))
        counts.append(sum(counts[i] for i in indices))
        leaves.append(set(indices))
        equations.append(Equation(unit_totals[-1], tuple(indices)))
    grand = len(counts)
    counts.append(sum(counts[i] for i in unit_totals))
    leaves.append(set().union(*(leaves[i] for i in unit_totals)))
    equations.append(Equation(grand, tuple(unit_totals)))
    return counts, equations, leaves


def _can_change(
    cell_leaves: set[int], counts: list[int], hidden: list[bool], leaves: list[set[int]]
) -> bool:
    """Is there another table, with every shown cell the same and no negative count, in which
    this cell differs? Tried with the smallest moves: one patient more or less in a hidden
    programme cell, or one moved between two hidden programme cells."""
    leaf_ids = sorted(set().union(*leaves))
    shown_sets = [leaves[i] for i in range(len(counts)) if not hidden[i]]
    free = [leaf for leaf in leaf_ids if hidden[leaf]]
    for a in free:
        if a in cell_leaves and all(a not in shown for shown in shown_sets):
            return True  # one more patient in a changes this cell and no shown one
        for b in free:
            if a == b or counts[b] < 1:
                continue
            same_totals = all((a in shown) == (b in shown) for shown in shown_sets)
            if same_totals and (a in cell_leaves) != (b in cell_leaves):
                return True  # a patient moved from b to a
    return False


@given(units_of_programmes)
def test_no_hidden_cell_of_a_table_with_totals_can_be_worked_out(units: list[list[int]]) -> None:
    counts, equations, leaves = _table(units)
    hidden = hidden_in_table(counts, equations)
    for index, is_hidden in enumerate(hidden):
        if is_hidden:
            assert _can_change(leaves[index], counts, hidden, leaves), (index, counts, hidden)
        else:
            assert counts[index] >= MIN_PATIENTS_PER_CELL


@given(units_of_programmes)
def test_a_table_hides_at_least_what_each_cell_alone_would(units: list[list[int]]) -> None:
    counts, equations, _leaves = _table(units)
    hidden = hidden_in_table(counts, equations)
    assert all(hidden[i] for i, n in enumerate(counts) if n < MIN_PATIENTS_PER_CELL)


def test_a_lone_small_programme_takes_its_sibling_and_the_totals_stay_shown() -> None:
    # Unit A: programmes 3 and 8 (total 11); unit B: one programme of 20 (total 20); all 31.
    counts, equations, _leaves = _table([[3, 8], [20]])
    hidden = hidden_in_table(counts, equations)
    # cells: A.p1=3, A.p2=8, B.p1=20, A=11, B=20, all=31
    assert hidden == [True, True, False, False, False, False]
