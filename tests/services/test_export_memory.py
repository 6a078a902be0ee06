"""The export's outcome tally keeps counts, not episodes: its memory does not grow with the
number of episodes it reads (the rows are streamed from the database in patient order)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

from fit_platform.services.export.assemble import tally_outcomes
from fit_platform.services.export.queries import export_instruments


def _rows(
    patients: int,
) -> Iterator[tuple[int, int | None, str, int, int, str, float, float, bool]]:
    """Rows as the outcome query gives them: two units, four quarters, PHQ-9 and GAD-7."""
    for patient in range(patients):
        unit, period = 1 + patient % 2, f"2026-Q{1 + patient % 4}"
        for instrument_id, top in (("phq9", 27), ("gad7", 21)):
            yield (unit, None, period, patient, patient, instrument_id, patient % top, 3.0, True)


def _peak_bytes(patients: int) -> int:
    outcome_instruments, _alliance = export_instruments()
    tally_outcomes(_rows(50), outcome_instruments, True)  # warm the caches of the rule
    tracemalloc.start()
    tally_outcomes(_rows(patients), outcome_instruments, True)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_the_outcome_tally_does_not_grow_with_the_number_of_episodes() -> None:
    small, large = _peak_bytes(1_000), _peak_bytes(20_000)
    # Twenty times the episodes: the same keys and score pairs, so about the same memory (a set
    # or list per episode would add several megabytes).
    assert large < small + 256 * 1024, (small, large)
