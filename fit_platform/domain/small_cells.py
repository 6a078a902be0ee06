"""Small-cell suppression for de-identified aggregates.

A figure computed from very few patients can point at a person, so every aggregate cell based
on fewer than :data:`MIN_PATIENTS_PER_CELL` patients is hidden (primary suppression). Hiding one
cell is not enough when the cells of a group are shown next to a total they add up to (or that
can be found elsewhere): the hidden value would be the total minus the shown cells. So when
exactly one cell of a group is hidden, the smallest shown cell is hidden too (secondary
suppression); two or more hidden cells can only be recovered as a sum, never one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Statistics Norway and the Norwegian health registries use the same threshold for published
# tables about patients: fewer than five people in a cell and the cell is not shown.
MIN_PATIENTS_PER_CELL = 5


@dataclass(frozen=True)
class Cell:
    """One exported figure: ``value`` is None whenever ``suppressed`` is set."""

    value: float | None
    suppressed: bool

    @property
    def shown(self) -> bool:
        return not self.suppressed


HIDDEN = Cell(None, True)


def too_small(patients: int) -> bool:
    """Primary rule: a cell based on fewer than the threshold of patients is hidden."""
    return patients < MIN_PATIENTS_PER_CELL


def cell(value: float | None, patients: int) -> Cell:
    """A cell for ``value`` computed from ``patients`` people, hidden when there are too few."""
    if too_small(patients):
        return HIDDEN
    return Cell(value, False)


def hidden_in_group(patients: Sequence[int]) -> list[bool]:
    """Which cells of a group to hide, given the number of patients each is based on.

    Primary suppression hides every cell under the threshold. If that leaves exactly one
    hidden cell in a group of two or more, the smallest shown cell (first one on a tie) is hidden
    as well, so no single hidden cell equals the group total minus the shown cells.
    """
    hidden = [too_small(n) for n in patients]
    if sum(hidden) == 1 and len(patients) > 1:
        shown = [index for index, is_hidden in enumerate(hidden) if not is_hidden]
        smallest = min(shown, key=lambda index: (patients[index], index))
        hidden[smallest] = True
    return hidden


def suppress_group(patients: Sequence[int]) -> list[Cell]:
    """Patient counts of a group as cells, with primary and secondary suppression applied."""
    return [
        HIDDEN if is_hidden else Cell(float(n), False)
        for n, is_hidden in zip(patients, hidden_in_group(patients), strict=True)
    ]
