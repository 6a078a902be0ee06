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
    constraints = []
    for index, cell_leaves in enumerate(leaves):
        if seen_hidden[index]:
            continue
        known = sum(counts[leaf] for leaf in cell_leaves if not seen_hidden[leaf])
        variables = [leaf for leaf in free if leaf in cell_leaves]
        if variables:
            constraints.append((variables, counts[index] - known))
    order = [target, *(leaf for leaf in free if leaf != target)]
    value: dict[int, int] = {}

    def fits() -> bool:
        for variables, total in constraints:
            placed = [value[v] for v in variables if v in value]
            if sum(placed) > total or (len(placed) == len(variables) and sum(placed) != total):
                return False
        return True

    def search(position: int) -> bool:
        if position == len(order):
            return True
        leaf = order[position]
        for n in range(max(counts) + 2):
            if position == 0 and n == counts[target]:
                continue
            value[leaf] = n
            if fits() and search(position + 1):
                return True
            del value[leaf]
        return False

    return target in free and search(0)


def months_a_reader_pins(
    counts: Mapping[Name, int], hidden: Collection[Name], everyone: object
) -> list[Name]:
    """The hidden months of one to four patients that have one value in every table agreeing
    with the shown cells. Cells are named (unit, programme, period), ``everyone`` in place of
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
        and 0 < counts[month] < 5
        and not other_value_fits(position[month], values, seen_hidden, leaves)
    ]
