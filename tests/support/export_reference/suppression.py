"""Complementary suppression across a period's rows and their totals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from fit_platform.domain.instruments import Instrument
from fit_platform.domain.small_cells import Cell, Equation, hidden_cell, hidden_in_table
from fit_platform.services.export.outcomes import hidden_outcome, hidden_paired
from fit_platform.services.export.rows import ALL, AggregateRow, Key
from tests.support.export_reference.outcomes import OutcomeTally, PairedTally


def suppress_across_rows_and_totals(
    rows: dict[Key, AggregateRow],
    invited: Mapping[Key, set[int]],
    change: Mapping[tuple[Key, str], OutcomeTally],
    outcome_instruments: Sequence[Instrument],
    comment_count: Mapping[Key, int],
    paired: Mapping[Key, PairedTally],
) -> None:
    """Complementary suppression: in each period a unit's programme rows add up to the unit's
    total row and the unit rows to the all-units row, so no hidden cell may be alone in any of
    these equations (see :func:`fit_platform.domain.small_cells.hidden_in_table`).

    Counts of distinct patients do not quite add up (a patient may be in two programmes); the
    rule treats them as if they did, which can only hide more."""
    by_period: dict[str, list[Key]] = defaultdict(list)
    for key in rows:
        by_period[key[2]].append(key)
    for members in by_period.values():
        members.sort(key=lambda key: (key[0], key[1] is None, key[1] or 0))
        index = {key: position for position, key in enumerate(members)}
        equations: list[Equation] = []
        unit_totals = [key for key in members if key[0] != ALL and key[1] == ALL]
        for total in unit_totals:
            parts = [index[key] for key in members if key[0] == total[0] and key[1] != ALL]
            equations.append(Equation(index[total], tuple(parts)))
        grand = [key for key in members if key[0] == ALL]
        if grand:
            equations.append(Equation(index[grand[0]], tuple(index[k] for k in unit_totals)))

        def hidden(
            counts: list[int], members: list[Key] = members, equations: list[Equation] = equations
        ) -> Iterable[tuple[Key, Cell]]:
            hides = hidden_in_table(counts, equations)
            for key, count, hide in zip(members, counts, hides, strict=True):
                if hide:
                    yield key, hidden_cell(count)

        for key, mark in hidden([len(invited.get(key, ())) for key in members]):
            rows[key] = replace(
                rows[key],
                patients_invited=mark,
                invitations_sent=mark,
                invitations_answered=mark,
                response_rate=mark,
                invitations_expired=mark,
                invitations_declined=mark,
                non_response=tuple((name, mark) for name, _cell in rows[key].non_response),
                consent_paused_or_stopped_share=mark,
            )
        paired_counts = [len(paired[key].patients) if key in paired else 0 for key in members]
        for key, mark in hidden(paired_counts):
            rows[key] = replace(rows[key], paired=hidden_paired(mark))
        # The unit's comments in a quarter can be counted on the reading page.
        for key, mark in hidden([comment_count.get(key, 0) for key in members]):
            rows[key] = replace(rows[key], service_comments=mark)
        for position, instrument in enumerate(outcome_instruments):
            counts = [
                len(change[(key, instrument.id)].patients) if (key, instrument.id) in change else 0
                for key in members
            ]
            for key, mark in hidden(counts):
                outcomes = list(rows[key].outcomes)
                outcomes[position] = hidden_outcome(instrument, mark)
                rows[key] = replace(rows[key], outcomes=tuple(outcomes))
