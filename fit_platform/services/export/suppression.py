"""Complementary suppression across a period's rows and their totals, and across the months
of a quarter and the quarter, decided for months and quarters together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Any

from fit_platform.domain.instruments import Instrument
from fit_platform.domain.small_cells import (
    HIDDEN,
    Cell,
    Equation,
    hidden_cell,
    hidden_in_table,
)
from fit_platform.services.export.outcomes import hidden_outcome, hidden_paired
from fit_platform.services.export.periods import quarter_of
from fit_platform.services.export.rows import ALL, AggregateRow, Key, SignalAggregate


class Table:
    """The rows of an export as one table of cells and the equations a reader can use: in each
    period a unit's programme rows add up to the unit's total row and the unit rows to the
    all-units row; and, when the table holds months and quarters, a row's three months add up
    to the row's quarter.

    A service developer can download both, so the export decides what to hide in months and
    quarters together and then picks out the period asked for: a month hidden by itself
    could otherwise be worked out as its quarter minus the other months, and a quarter hidden
    to protect another row could be added up from its months. The same decision is made
    whichever period is asked for, because both exports read and suppress the same whole
    quarters of months and quarters. Distinct patients of a quarter are at most the sum of its
    months', so the equation is not exact for them; treating it as exact can only hide
    more."""

    def __init__(self, keys: Iterable[Key], by_month: bool = False) -> None:
        self.members = sorted(keys, key=lambda key: (key[2], key[0], key[1] is None, key[1] or 0))
        index = {key: position for position, key in enumerate(self.members)}
        by_period: dict[str, list[Key]] = defaultdict(list)
        for key in self.members:
            by_period[key[2]].append(key)
        self.equations: list[Equation] = []
        for members in by_period.values():
            unit_totals = [key for key in members if key[0] != ALL and key[1] == ALL]
            for total in unit_totals:
                parts = [index[key] for key in members if key[0] == total[0] and key[1] != ALL]
                self.equations.append(Equation(index[total], tuple(parts)))
            grand = [key for key in members if key[0] == ALL]
            if grand:
                parts = [index[key] for key in unit_totals]
                self.equations.append(Equation(index[grand[0]], tuple(parts)))
        if by_month:
            # Each row's months add up to the row's quarter (a row of the same table).
            blocks: dict[Key, list[int]] = defaultdict(list)
            for key in self.members:
                unit, programme, period = key
                if "Q" not in period:
                    blocks[(unit, programme, quarter_of(period))].append(index[key])
            for quarter, months in blocks.items():
                self.equations.append(Equation(index[quarter], tuple(months)))

    def hidden(
        self, counts: Mapping[Key, int], withheld: AbstractSet[Key] = frozenset()
    ) -> Iterable[tuple[Key, Cell]]:
        """The rows whose cells on these counts are hidden, each with its hidden cell; the
        rows in ``withheld`` are hidden for their own sake whatever their count."""
        values = [counts.get(key, 0) for key in self.members]
        own = [key in withheld for key in self.members]
        hides = hidden_in_table(values, self.equations, withheld=own)
        for key, count, hide, mine in zip(self.members, values, hides, own, strict=True):
            if hide:
                yield key, HIDDEN if mine else hidden_cell(count)


def suppress_across_rows_and_totals(
    rows: dict[Key, AggregateRow],
    invited: Mapping[Key, int],
    outcome_patients: Mapping[tuple[Key, str], int],
    outcome_instruments: Sequence[Instrument],
    comment_count: Mapping[Key, int],
    paired_patients: Mapping[Key, int],
    alliance_patients: Mapping[tuple[Key, str], int],
    signal_patients: Mapping[Key, int],
    by_month: bool = False,
    risk_patients: Mapping[Key, int] | None = None,
    comments_held_back: AbstractSet[Key] = frozenset(),
    outcome_counts: Mapping[tuple[Key, str], Mapping[str, int]] | None = None,
    paired_counts: Mapping[Key, Mapping[str, int]] | None = None,
) -> None:
    """Complementary suppression: no hidden cell may be alone in any equation of the
    :class:`Table` (see :func:`fit_platform.domain.small_cells.hidden_in_table`). A cell
    hidden although it is based on enough patients is marked as hidden for the others' sake.

    A mean or a share is hidden with the count it is taken over: with a row's mean shown
    beside the all-units mean and the other units' means, a hidden unit's mean would otherwise
    be worked out (weighted by the number of scores, which a reader may know or guess). So
    each alliance questionnaire's mean follows its own count of patients, and the signal
    figures (a count, a share and two medians) follow the patients with a signal, and the
    median hours to acknowledge a risk answer the patients with one acknowledged: a median
    cannot be subtracted, but a total's median beside the shown rows' values can be the
    hidden row's own value (docs/export.md).

    The counts inside a row (``outcome_counts``: reliably improved, reliably worse, at caseness
    at the start, per instrument; ``paired_counts``: the paired figures' own) get the same rule
    after their figure's patients have: hidden one at a time under 5, a programme's count was
    the unit's less the other programmes'. A share over such a count (recovery over those at
    caseness) is hidden with it. Within a row they are not set against each other
    (docs/export.md).

    Counts of distinct patients do not quite add up (a patient may be in two programmes); the
    rule treats them as if they did, which can only hide more."""
    table = Table(rows, by_month)
    for key, mark in table.hidden(invited):
        rows[key] = replace(
            rows[key],
            patients_invited=mark,
            invitations_sent=mark,
            invitations_answered=mark,
            response_rate=mark,
            invitations_expired=mark,
            invitations_declined=mark,
            non_response=tuple((name, mark) for name, _cell in rows[key].non_response),
            # A share of the hidden number of invited patients.
            consent_paused_or_stopped_share=mark,
        )
    for key, mark in table.hidden(paired_patients):
        rows[key] = replace(rows[key], paired=hidden_paired(mark))
    # The unit's comments in a quarter can be counted on the reading page. Where the page
    # holds a unit's texts back (too few patients or therapists), its count is hidden too:
    # "6 comments from the unit of one therapist" beside the pooled texts would say which of
    # them are about that therapist (docs/export.md, "Comments to the service").
    for key, mark in table.hidden(comment_count, comments_held_back):
        rows[key] = replace(rows[key], service_comments=mark)
    for position, instrument in enumerate(outcome_instruments):
        counts = _of(outcome_patients, instrument.id)
        for key, mark in table.hidden(counts):
            outcomes = list(rows[key].outcomes)
            outcomes[position] = hidden_outcome(instrument, mark)
            rows[key] = replace(rows[key], outcomes=tuple(outcomes))
    alliance_ids = {instrument_id for _key, instrument_id in alliance_patients}
    for instrument_id in sorted(alliance_ids):
        for key, mark in table.hidden(_of(alliance_patients, instrument_id)):
            means = tuple(
                (found, mark if found == instrument_id else mean)
                for found, mean in rows[key].alliance_mean
            )
            rows[key] = replace(rows[key], alliance_mean=means)
    for key, mark in table.hidden(signal_patients):
        rows[key] = replace(rows[key], signals=SignalAggregate(mark, mark, mark, mark))
    for key, mark in table.hidden(risk_patients or {}):
        rows[key] = replace(rows[key], median_hours_to_acknowledge_risk=mark)
    for position, instrument in enumerate(outcome_instruments):
        inside = {
            key: found
            for (key, instrument_id), found in (outcome_counts or {}).items()
            if instrument_id == instrument.id
        }
        for name, shares in _OUTCOME_COUNTS.items():
            if name == "recovery_eligible" and instrument.clinical_cutoff is None:
                continue  # "does not apply" in every row
            _hide_inside_rows(
                table, rows, inside, name, shares, _outcome_at(position), _with_outcome(position)
            )
    _hide_paired_counts(table, rows, paired_counts or {})


# The counts inside a row, each with the shares taken over it (hidden with it).
_OUTCOME_COUNTS = {
    "reliable_improvement": (),
    "reliable_deterioration": (),
    "recovery_eligible": ("recovery_rate", "reliable_recovery_rate"),
}
_PAIRED_COUNTS = {
    "at_caseness": ("recovery_rate", "reliable_recovery_rate"),
    "reliable_improvement": (),
    "reliable_deterioration": (),
}


def _outcome_at(position: int) -> Callable[[AggregateRow], Any]:
    return lambda row: row.outcomes[position]


def _with_outcome(position: int) -> Callable[[AggregateRow, Any], AggregateRow]:
    def put(row: AggregateRow, figures: Any) -> AggregateRow:
        outcomes = list(row.outcomes)
        outcomes[position] = figures
        return replace(row, outcomes=tuple(outcomes))

    return put


def _hide_paired_counts(
    table: Table, rows: dict[Key, AggregateRow], counts: Mapping[Key, Mapping[str, int]]
) -> None:
    for name, shares in _PAIRED_COUNTS.items():
        _hide_inside_rows(
            table,
            rows,
            counts,
            name,
            shares,
            lambda row: row.paired,
            lambda row, figures: replace(row, paired=figures),
        )


def _hide_inside_rows(
    table: Table,
    rows: dict[Key, AggregateRow],
    counts: Mapping[Key, Mapping[str, int]],
    name: str,
    shares: Sequence[str],
    figures_of: Callable[[AggregateRow], Any],
    put: Callable[[AggregateRow, Any], AggregateRow],
) -> None:
    """Complementary suppression of one count inside the rows (``name``, a field of the
    figures ``figures_of`` returns), with the shares taken over it; a count hidden already
    (under 5, or its whole figure hidden) is hidden for its own sake."""
    hidden_already = {
        key
        for key, row in rows.items()
        if (figures := figures_of(row)) is None or not getattr(figures, name).shown
    }
    numbers = {key: found.get(name, 0) for key, found in counts.items()}
    for key, mark in table.hidden(numbers, hidden_already):
        if key in hidden_already:
            continue
        changed = {field: mark for field in (name, *shares)}
        rows[key] = put(rows[key], replace(figures_of(rows[key]), **changed))


def _of(counts: Mapping[tuple[Key, str], int], instrument_id: str) -> dict[Key, int]:
    """One instrument's counts per row."""
    return {key: n for (key, found), n in counts.items() if found == instrument_id}
