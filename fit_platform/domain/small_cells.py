"""Small-cell suppression for de-identified aggregates.

A figure computed from very few patients can point at a person, so every aggregate cell based
on fewer than :data:`MIN_PATIENTS_PER_CELL` patients is hidden (primary suppression). Hiding one
cell is not enough when the cells of a group are shown next to a total they add up to (or that
can be found elsewhere): the hidden value would be the total minus the shown cells. So when
exactly one cell of a group is hidden, the smallest shown cell is hidden too (secondary
suppression); two or more hidden cells can only be recovered as a sum, never one by one. That
sum is itself a figure about the people in the hidden cells, so when it is under the threshold
(zero included, which would give each of them away) a shown cell is hidden with them: two units
of one and three patients, hidden, were four patients whose share who stopped feedback was the
all-units share less the shown units'.

Published tables have totals as well as parts (a unit's programmes add up to the unit, the units
to the all-units total). :func:`hidden_in_table` applies the same rule to every such equation at
once, totals included, until no equation has a lone hidden member (complementary suppression
across rows and totals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fit_platform.domain.disclosure_audit import disclosed_cells

# Statistics Norway and the Norwegian health registries use the same threshold for published
# tables about patients: fewer than five people in a cell and the cell is not shown.
MIN_PATIENTS_PER_CELL = 5


@dataclass(frozen=True)
class Cell:
    """One exported figure: ``value`` is None whenever ``suppressed`` is set. ``secondary``
    marks a cell based on enough patients that is hidden only so that other hidden cells cannot
    be worked out from it (saying "fewer than 5" of it would be untrue)."""

    value: float | None
    suppressed: bool
    secondary: bool = False

    @property
    def shown(self) -> bool:
        return not self.suppressed


HIDDEN = Cell(None, True)
HIDDEN_FOR_OTHERS = Cell(None, True, secondary=True)


def hidden_cell(patients: int) -> Cell:
    """The hidden cell for a figure based on ``patients`` people: under the threshold it is
    hidden for its own sake, otherwise only to protect other cells (secondary suppression)."""
    return HIDDEN if too_small(patients) else HIDDEN_FOR_OTHERS


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
    _protect(patients, hidden, list(range(len(patients))))
    return hidden


def _protect(counts: Sequence[int], hidden: list[bool], parts: Sequence[int]) -> bool:
    """Hide the smallest shown part when the hidden parts could be worked out from the shown
    ones and a known total: one hidden part alone, or hidden parts that together hold fewer
    people than the threshold (their sum is a figure about too few)."""
    hidden_parts = [index for index in parts if hidden[index]]
    shown_parts = [index for index in parts if not hidden[index]]
    if not hidden_parts or not shown_parts:
        return False
    alone = len(hidden_parts) == 1
    few = too_small(sum(counts[index] for index in hidden_parts))
    if not (alone or few):
        return False
    hidden[min(shown_parts, key=lambda index: (counts[index], index))] = True
    return True


@dataclass(frozen=True)
class Equation:
    """A published total and the published parts it is the sum of (indices into one table)."""

    total: int
    parts: tuple[int, ...]


def hidden_in_table(
    counts: Sequence[int],
    equations: Sequence[Equation],
    published: Sequence[bool] | None = None,
    withheld: Sequence[bool] | None = None,
) -> list[bool]:
    """Which cells of a table with totals to hide, given the patients each cell is based on.

    ``counts`` holds every published cell, totals included; each equation says that one cell is
    the total of some others. Primary suppression hides every cell under the threshold. Then, for
    every equation, until nothing changes: if exactly one member (total or part) is hidden, or the
    hidden parts hold fewer people than the threshold together while the total is shown, the
    smallest shown part is hidden; when all
    parts are hidden and the total alone is shown beside one hidden part, the total is hidden. A
    cell hidden for one equation can leave a lone hidden cell in another (a unit total is a part
    of the all-units total), hence the repetition; it ends because cells are only ever hidden.

    Equation by equation is not enough: several equations together, with no count below zero,
    can still pin a hidden cell. So the result is audited
    (:func:`fit_platform.domain.disclosure_audit.disclosed_cells`): every cell hidden for its own
    sake (under five patients, none included, or a withheld cell) must be able to take another
    value. When one cannot, the smallest shown cell of an equation it is in is hidden
    too, the rule above runs again, and the table is audited again, until no such cell is given
    away. This ends for the same reason: cells are only ever hidden, and each hidden cell leaves
    the reader fewer known figures.

    ``published`` marks cells a reader finds shown elsewhere whatever this table does (a
    quarter's figure beside the table of its months): they are hidden only for their own sake,
    never to protect others, and the audit takes their counts as known. A hidden cell that such
    a cell gives away (a lone hidden part whose other parts cannot be hidden) protects no one: it
    counts as shown in the other equations, which then hide something else.

    ``withheld`` marks cells hidden for their own sake by another rule whatever their count
    (the comments of a unit whose texts are held back, ``domain.comment_threshold``); they are
    protected like any cell under the threshold.
    """
    hidden = [too_small(n) for n in counts]
    if withheld is not None:
        hidden = [own or other for own, other in zip(hidden, withheld, strict=True)]
    fixed = [False] * len(counts) if published is None else list(published)
    known = [False] * len(counts)  # hidden, but given away by a published cell
    # Every cell hidden for its own sake is audited, one of no one too: a hidden cell must not
    # tell "nobody" from "one to four" (docs/export.md, "Empty and hidden").
    own_sake = [
        index
        for index, n in enumerate(counts)
        if too_small(n) or (withheld is not None and withheld[index])
    ]
    beyond_help: set[int] = set()  # given away by published cells whatever this table hides
    while True:
        _hide_lone_cells(counts, equations, hidden, fixed, known)
        unknown = [h and not f for h, f in zip(hidden, fixed, strict=True)]
        audited = [i for i in own_sake if unknown[i] and i not in beyond_help]
        given_away = disclosed_cells(counts, equations, unknown, audited)
        if not given_away:
            return hidden
        leak = given_away[0]
        cover = _cover_for(leak, counts, equations, hidden, fixed)
        if cover is None:
            beyond_help.add(leak)
        else:
            hidden[cover] = True


def _hide_lone_cells(
    counts: Sequence[int],
    equations: Sequence[Equation],
    hidden: list[bool],
    fixed: Sequence[bool],
    known: list[bool],
) -> None:
    """Complementary suppression equation by equation (:func:`hidden_in_table`), in place."""

    def secret(index: int) -> bool:
        return hidden[index] and not known[index]

    def smallest(candidates: Sequence[int]) -> int:
        return min(candidates, key=lambda index: (counts[index], index))

    changed = True
    while changed:
        changed = False
        for equation in equations:
            members = (equation.total, *equation.parts)
            secrets = [index for index in members if secret(index)]
            if not secrets:
                continue
            # Shown parts this table may still hide.
            open_parts = [i for i in equation.parts if not hidden[i] and not fixed[i]]
            if secret(equation.total):
                # The total is hidden: the equation gives it away only when every part is
                # known, and a lone hidden part only together with the total.
                if len(secrets) > 1 or not equation.parts:
                    continue
                if open_parts:
                    hidden[smallest(open_parts)] = True
                else:
                    known[equation.total] = True
                changed = True
                continue
            lone = len(secrets) == 1
            # The hidden parts' sum is the total less the shown parts: a figure about the people
            # in them, which must not be about fewer than the threshold (nor about no one).
            few = too_small(sum(counts[index] for index in secrets))
            if not (lone or few):
                continue
            if open_parts:
                hidden[smallest(open_parts)] = True
            elif not hidden[equation.total] and not fixed[equation.total]:
                # A lone part, hidden, equals the shown total: the total goes too.
                hidden[equation.total] = True
            else:
                for index in secrets:
                    known[index] = True
            changed = True


def _cover_for(
    leak: int,
    counts: Sequence[int],
    equations: Sequence[Equation],
    hidden: Sequence[bool],
    fixed: Sequence[bool],
) -> int | None:
    """The cell to hide for a cell the audit found given away: the smallest shown part of an
    equation it is in (as the rule equation by equation picks), else the smallest shown total
    of one; failing those, the same in the equations of the hidden cells it is linked with.
    None when every such cell is shown elsewhere anyway."""
    linked = {leak}
    while True:
        around = [e for e in equations if linked & {e.total, *e.parts}]
        for pick in ([i for e in around for i in e.parts], [e.total for e in around]):
            open_cells = [i for i in pick if not hidden[i] and not fixed[i]]
            if open_cells:
                return min(open_cells, key=lambda index: (counts[index], index))
        wider = linked | {
            i for e in around for i in (e.total, *e.parts) if hidden[i] and not fixed[i]
        }
        if wider == linked:
            return None
        linked = wider


def suppress_group(patients: Sequence[int]) -> list[Cell]:
    """Patient counts of a group as cells, with primary and secondary suppression applied."""
    return [
        HIDDEN if is_hidden else Cell(float(n), False)
        for n, is_hidden in zip(patients, hidden_in_group(patients), strict=True)
    ]
