"""What a reader can work out of a table by trying every table of whole numbers: the oracle
the small-cell tests hold the suppression (and its audit by linear programming) to.

A table is a list of cells, each the sum of some leaves (the finest cells: a programme's
month); a reader sees the shown cells and knows every count is a whole number, zero or more."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TypeVar

Name = TypeVar("Name", bound=tuple[object, object, str])


def other_value_fits(
    target: int,
    counts: Sequence[int],
    seen_hidden: Sequence[bool],
    leaves: Sequence[set[int]],
) -> bool:
    """Is there a table of whole, non-negative counts with every shown cell the same in which
    the leaf ``target`` holds another value? An exhaustive search (the tables are small): the
    two-way tables of months and quarters need moves of several patients at once, which the
    one-step search of tests/domain/test_small_cells.py cannot find."""
    leaf_ids = sorted(set().union(*leaves))
    free = [leaf for leaf in leaf_ids if seen_hidden[leaf]]
    if target not in free:
        return False
    # Each shown cell with hidden leaves: those leaves, and what they add up to.
    variables_of: list[list[int]] = []
    totals: list[int] = []
    for index, cell_leaves in enumerate(leaves):
        if seen_hidden[index]:
            continue
        known = sum(counts[leaf] for leaf in cell_leaves if not seen_hidden[leaf])
        variables = [leaf for leaf in free if leaf in cell_leaves]
        if variables:
            variables_of.append(variables)
            totals.append(counts[index] - known)
    cells_of = {
        leaf: [i for i, variables in enumerate(variables_of) if leaf in variables] for leaf in free
    }
    # Every count from 0 to one more than the largest cell is tried, as before; none of these
    # short cuts changes the answer, only how much of the search is walked. A leaf in no
    # shown cell can hold anything whatever the others hold (0, say): it is left out. The
    # others go from the target outwards, through the shown cells they share, so that a
    # cell's leaves are given values one after another and a wrong sum is seen early.
    order = [target]
    placed_up_to = 0
    while True:
        while placed_up_to < len(order):
            for i in cells_of[order[placed_up_to]]:
                order.extend(other for other in variables_of[i] if other not in order)
            placed_up_to += 1
        rest = [leaf for leaf in free if cells_of[leaf] and leaf not in order]
        if not rest:
            break
        order.append(rest[0])
    largest = max(counts) + 1
    # A leaf holds no more than any shown cell it is part of; a cell's leaves not yet given a
    # value hold at most `room` together. A cell adds up once its last leaf has a value
    # (neither too many nor too few with nothing left to give).
    most = {leaf: min([largest, *(totals[i] for i in cells_of[leaf])]) for leaf in order}
    sums = [0] * len(totals)
    room = [sum(most[leaf] for leaf in variables) for variables in variables_of]

    def search(position: int) -> bool:
        if position == len(order):
            return True
        leaf = order[position]
        cells = cells_of[leaf]
        for i in cells:
            room[i] -= most[leaf]
        try:
            for n in range(most[leaf] + 1):
                if any(sums[i] + n > totals[i] for i in cells):
                    break  # too many, and more would be too
                if position == 0 and n == counts[target]:
                    continue
                if any(sums[i] + n + room[i] < totals[i] for i in cells):
                    continue  # too few even with the most the rest can hold
                for i in cells:
                    sums[i] += n
                found = search(position + 1)
                for i in cells:
                    sums[i] -= n
                if found:
                    return True
            return False
        finally:
            for i in cells:
                room[i] += most[leaf]

    return search(0)


def months_a_reader_pins(
    counts: Mapping[Name, int], hidden: Collection[Name], everyone: object
) -> list[Name]:
    """The hidden months of under five patients (none included: a hidden cell must not tell
    "nobody" from "one to four") that have one value in every table agreeing with the shown
    cells. Cells are named (unit, programme, period), ``everyone`` in place of
    the unit or the programme for a total; a month is 'YYYY-MM', a quarter 'YYYY-Qn', and each
    row's months add up to its quarter. A programme's month without a cell holds no one."""
    names = list(counts)
    months = [
        name for name in names if name[0] != everyone and name[1] != everyone and "Q" not in name[2]
    ]

    def covers(cell: Name, month: Name) -> bool:
        year, number = month[2].split("-")
        periods = {month[2], f"{year}-Q{(int(number) - 1) // 3 + 1}"}
        return (
            cell[0] in (everyone, month[0])
            and cell[1] in (everyone, month[1])
            and cell[2] in periods
        )

    order = months + [name for name in names if name not in months]
    position = {name: index for index, name in enumerate(order)}
    leaves = [{position[m] for m in months if covers(name, m)} for name in order]
    values = [counts[name] for name in order]
    seen_hidden = [name in hidden for name in order]
    return [
        month
        for month in months
        if month in hidden
        and counts[month] < 5
        and not other_value_fits(position[month], values, seen_hidden, leaves)
    ]
