"""The export's table of months and quarters (a unit's programmes, the unit, all units) hides
no small month (one of no one included) that its equations together pin to one value: the
audit after complementary suppression, at the level the export service decides it."""

from __future__ import annotations

import pytest

from fit_platform.services.export.rows import ALL, Key
from fit_platform.services.export.suppression import Table
from tests.support.exhaustive_tables import months_a_reader_pins

UNIT = 1
PROGRAMMES = (11, 12, 13)
MONTHS = ("2026-07", "2026-08", "2026-09")
QUARTER = "2026-Q3"

# Patients per programme (rows) and month (July to September). With months and quarters
# decided together, the rule equation by equation left a small month pinned in each: in the
# first, the first programme's September (1) and three other cells.
PINNED_BY_EQUATIONS_TOGETHER = [
    [[0, 5, 1], [1, 1, 5], [5, 0, 1]],
    [[8, 8, 4], [6, 0, 0], [8, 0, 8]],
    [[0, 5, 6], [0, 5, 6], [0, 6, 4]],
    [[2, 0, 5], [7, 0, 0], [8, 5, 4]],
    # Months of no one: the first two programmes' July and August were zero in every table
    # that agreed with the shown cells (docs/export.md, "Empty and hidden").
    [[0, 0, 1], [0, 0, 1], [0, 1, 5]],
]


def _counts(rows: list[list[int]]) -> dict[Key, int]:
    """Every row of the table: the programmes', the unit's and all units' months and quarter."""
    counts: dict[Key, int] = {}
    for programme, months in zip(PROGRAMMES, rows, strict=True):
        for month, n in zip(MONTHS, months, strict=True):
            counts[(UNIT, programme, month)] = n
        counts[(UNIT, programme, QUARTER)] = sum(months)
    for period in (*MONTHS, QUARTER):
        total = sum(n for (_u, _p, found), n in counts.items() if found == period)
        counts[(UNIT, ALL, period)] = total
        counts[(ALL, ALL, period)] = total
    return counts


@pytest.mark.parametrize("rows", PINNED_BY_EQUATIONS_TOGETHER)
def test_no_small_month_of_the_export_table_is_pinned_by_its_equations_together(
    rows: list[list[int]],
) -> None:
    counts = _counts(rows)
    table = Table(counts, by_month=True)
    hidden = {key for key, _cell in table.hidden(counts)}
    assert months_a_reader_pins(counts, hidden, ALL) == []
    # Every month under five is hidden, and what is shown is based on five or more.
    assert all(key in hidden for key, n in counts.items() if n < 5)
