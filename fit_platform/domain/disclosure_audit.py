"""The audit after small-cell suppression: can a hidden cell be worked out all the same?

Complementary suppression (:mod:`fit_platform.domain.small_cells`) makes sure no equation of a
table (a total is the sum of its parts) has a lone hidden member. That is not enough: several
equations combined, together with "no count is negative", can pin a hidden cell to one value
although every equation has two or more hidden members. Programmes by month, July to
September, 0 5 1 / 1 1 5 / 5 0 1, with their quarters and the unit's months: each small month
shares every equation with another hidden cell, yet the first programme's September is 1 in
every table of non-negative counts that agrees with the shown cells.

The audit asks the question directly, with linear programming (SciPy's HiGHS). The counts a
reader may put in the hidden cells form a polytope: the equations with the known cells moved
across, every hidden cell at least zero. A hidden cell is given away when it has the same value
all over the polytope. Asking for its smallest and its largest value takes two linear programs
per cell (some 8 ms each through ``scipy.optimize.linprog``, most of it setting the problem
up), which more than tripled the export's time on the demo history. One linear program per set
of linked hidden cells answers for all of them: it finds the cells that can never hold anyone
(the polytope's implicit equalities); the equations together with "these cells are zero" then
describe the smallest affine space holding the polytope, and a cell is the same all over it
exactly when no direction within that space moves it (linear algebra: the null space of those
equations, by singular value decomposition).

Why linear programming answers a question about whole numbers: the tables' equations are
network-like. Each is a two-way table (rows by periods) in which rows add up along a hierarchy
(programmes to their unit, units to all units) and periods along one level (months to their
quarter), a "1H2D" table; its equations are the flow-conservation constraints of a network
(Cox 1995, "Network models for complementary cell suppression", JASA 90:1453; Castro 2007,
"Network flows heuristics for complementary cell suppression", Networks 50:1), so the matrix is
totally unimodular: the smallest and largest values of a cell are whole numbers, and a cell
that moves at all in the polytope can take at least two whole values. The tests check the
audit against an exhaustive search over whole numbers.

The reader the audit assumes knows more than a real one: each equation is taken to hold with
the table's own shortfall (distinct patients of a quarter are at most the sum of its months',
a patient counted in two months is counted once in the quarter; the audit lets the reader know
by how much). What is safe for that reader is safe for any.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

# NumPy and SciPy are imported where the audit runs, not with the module: SciPy's optimiser
# takes about a second to import, and every process imports this module (the groups' figures
# hide small cells too) while only the export pages and commands run the audit. A web worker,
# the scheduler and each command (`migrate`, `create-admin`) start that much sooner.

# Below this, a singular value or a component of a direction is rounding, not a move.
_ROUNDING = 1e-9


class Sum(Protocol):
    """An equation of the table: the cell ``total`` is the sum of the cells ``parts``."""

    @property
    def total(self) -> int: ...

    @property
    def parts(self) -> tuple[int, ...]: ...


def disclosed_cells(
    counts: Sequence[int],
    equations: Sequence[Sum],
    unknown: Sequence[bool],
    audited: Sequence[int],
) -> list[int]:
    """The cells of ``audited`` whose value follows from the known cells and the equations.

    ``unknown`` marks the cells a reader cannot see (hidden, and not found elsewhere); every
    other cell's count is known. Each set of unknown cells linked through equations is solved
    on its own, which keeps the linear programs small.
    """
    components = _components(len(counts), equations, unknown)
    pinned: dict[int, set[int]] = {}  # by the component's first cell
    found = []
    for index in audited:
        if not unknown[index]:
            continue
        members, rows = components[index]
        if members[0] not in pinned:
            pinned[members[0]] = _pinned(members, rows, counts, equations, unknown)
        if index in pinned[members[0]]:
            found.append(index)
    return found


def _components(
    size: int, equations: Sequence[Sum], unknown: Sequence[bool]
) -> dict[int, tuple[list[int], list[int]]]:
    """For each unknown cell: the unknown cells linked with it and the equations among them."""
    parent = list(range(size))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for equation in equations:
        linked = [i for i in (equation.total, *equation.parts) if unknown[i]]
        for other in linked[1:]:
            parent[root(other)] = root(linked[0])
    members: dict[int, list[int]] = {}
    for index in range(size):
        if unknown[index]:
            members.setdefault(root(index), []).append(index)
    rows: dict[int, list[int]] = {}
    for position, equation in enumerate(equations):
        linked = [i for i in (equation.total, *equation.parts) if unknown[i]]
        if linked:
            rows.setdefault(root(linked[0]), []).append(position)
    return {
        index: (members[root(index)], rows.get(root(index), []))
        for index in range(size)
        if unknown[index]
    }


def _pinned(
    members: list[int],
    rows: list[int],
    counts: Sequence[int],
    equations: Sequence[Sum],
    unknown: Sequence[bool],
) -> set[int]:
    """The cells of one component that hold the same value in every non-negative solution of
    its equations."""
    if not rows:
        return set()  # in no equation: free
    import numpy as np

    column = {cell: position for position, cell in enumerate(members)}
    matrix = np.zeros((len(rows), len(members)))
    for row, position in enumerate(rows):
        equation = equations[position]
        if unknown[equation.total]:
            matrix[row, column[equation.total]] = 1.0
        for part in equation.parts:
            if unknown[part]:
                matrix[row, column[part]] -= 1.0
    # The right-hand side from the table's own counts: the known members moved across, and the
    # equation's shortfall, if any, taken as known (see the module's docstring).
    truth = np.array([float(counts[cell]) for cell in members])
    right = matrix @ truth
    can_hold = _can_hold_someone(matrix, right, truth)
    moving = matrix[:, can_hold]
    movable = np.zeros(len(members))
    if moving.shape[1]:
        _left, singular, directions = np.linalg.svd(moving)
        rank = int((singular > _ROUNDING * max(1.0, float(singular.max(initial=0.0)))).sum())
        # Rows past the rank span the moves that keep every equation: a cell moves when one
        # of them has a component along it.
        movable[can_hold] = np.linalg.norm(directions[rank:], axis=0)
    return {cell for cell in members if movable[column[cell]] <= _ROUNDING}


def _can_hold_someone(matrix: np.ndarray, right: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Which cells are above zero in some solution (the others are zero in all of them).

    One linear program over the cone of scaled solutions (``matrix @ x == right * t``,
    ``t >= 1``): it maximises the sum of ``y``, where ``y <= x`` and ``0 <= y <= 1``. Scaling
    up the average of solutions that each put someone in one cell puts at least one in every
    such cell at once, so at the optimum ``y`` is one exactly for the cells that can hold
    someone."""
    import numpy as np
    from scipy.optimize import linprog

    rows, cells = matrix.shape
    objective = np.concatenate([np.zeros(cells), -np.ones(cells), [0.0]])
    equal = np.hstack([matrix, np.zeros((rows, cells)), -right.reshape(-1, 1)])
    below = np.hstack([-np.eye(cells), np.eye(cells), np.zeros((cells, 1))])
    bounds = [(0.0, None)] * cells + [(0.0, 1.0)] * cells + [(1.0, None)]
    result = linprog(
        objective,
        A_ub=below,
        b_ub=np.zeros(cells),
        A_eq=equal,
        b_eq=np.zeros(rows),
        bounds=bounds,
        method="highs",
    )
    if result.status != 0:
        # The table's own counts are a solution, so only the solver can have failed: take
        # every cell that holds no one as always empty, which can only find more cells
        # given away and hide more.
        return truth > 0
    can: np.ndarray = result.x[cells : 2 * cells] > 0.5
    return can
