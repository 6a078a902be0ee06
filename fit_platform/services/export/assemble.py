"""From the query results to rows: every figure put in its row and the totals it is part of,
turned into cells, then suppressed across rows and totals.

Invitations and alliance scores arrive already totalled by the database (one row per level of
total, distinct patients counted there). Outcomes arrive one row per episode and instrument in
patient order and are tallied here, one patient at a time, so that no set of patients is ever
held: what is kept per row is a count of patients and a count per pair of scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import groupby
from operator import itemgetter
from typing import Any

from fit_platform.domain.instruments import Instrument
from fit_platform.domain.paired_recovery import assess_paired
from fit_platform.domain.small_cells import HIDDEN, Cell, cell
from fit_platform.services.export.levels import ALL_UNITS_TOTAL, ROW, UNIT_TOTAL
from fit_platform.services.export.outcomes import (
    OutcomeTally,
    PairedTally,
    at_caseness_at_start,
    counts_inside,
    outcome_cells,
    paired_cells,
)
from fit_platform.services.export.periods import quarter_of
from fit_platform.services.export.rows import (
    ALL,
    ALL_CODE,
    NO_PROGRAMME,
    NON_RESPONSE_REASONS,
    PAIRED,
    AggregateRow,
    Key,
    levels,
)
from fit_platform.services.export.signals import (
    SignalFigures,
    risk_acknowledge_cell,
    signal_cells,
)
from fit_platform.services.export.suppression import suppress_across_rows_and_totals


def level_key(unit: int | None, programme: int | None, period: str, level: int) -> Key:
    """The key of a row totalled by the database (see :mod:`.statements`)."""
    if level == ROW:
        assert unit is not None
        return (unit, programme, period)
    if level == UNIT_TOTAL:
        assert unit is not None
        return (unit, ALL, period)
    assert level == ALL_UNITS_TOTAL
    return (ALL, ALL, period)


def with_quarters(key: Key, all_units: bool, quarters: bool) -> Iterator[Key]:
    """The levels of a row (:func:`.rows.levels`), and with ``quarters`` those of its quarter
    too (the row's period is a month)."""
    yield from levels(key, all_units)
    if quarters:
        unit, programme, month = key
        yield from levels((unit, programme, quarter_of(month)), all_units)


def whole_quarters(keys: Iterable[Key]) -> set[Key]:
    """The three months of the quarter of every month row (quarter rows are left out)."""
    found: set[Key] = set()
    for unit, programme, period in keys:
        if "Q" in period:
            continue
        year, month = period.split("-")
        first = (int(month) - 1) // 3 * 3 + 1
        found.update((unit, programme, f"{year}-{m:02d}") for m in range(first, first + 3))
    return found


def tally_outcomes(
    outcomes: Iterable[Any],
    outcome_instruments: Sequence[Instrument],
    all_units: bool,
    quarters: bool = False,
) -> tuple[dict[tuple[Key, str], OutcomeTally], dict[Key, PairedTally]]:
    """Change per row and instrument, and the paired PHQ-9/GAD-7 outcome per row, from rows
    (unit, programme, period, patient, episode, instrument, first, latest, in range) in
    patient order; with ``quarters`` (the periods are months) by quarter as well. A row not
    in range (a PHQ-9 or GAD-7 whose latest score came before the range) counts only as half
    of its episode's paired outcome, in the period of the other half.

    Each patient's rows are read together, so a patient with two episodes in a row (or in two
    programmes of a unit) counts once there, without a set of every patient seen."""
    by_id = {i.id: i for i in outcome_instruments}
    paired_instruments = [by_id[i] for i in PAIRED] if all(i in by_id for i in PAIRED) else None
    change: dict[tuple[Key, str], OutcomeTally] = defaultdict(OutcomeTally)
    paired: dict[Key, PairedTally] = defaultdict(PairedTally)
    for _patient, rows in groupby(outcomes, key=itemgetter(3)):
        seen: dict[tuple[Key, str], bool] = {}  # (row, instrument) -> at caseness at the start
        paired_seen: dict[Key, bool] = {}
        for _episode, episode_rows in groupby(rows, key=itemgetter(4)):
            both: dict[str, tuple[float, float, Key, bool]] = {}
            for row in episode_rows:
                unit, programme, period, _p, _e, instrument_id, first, latest, in_range = row
                key = (unit, programme, period)
                if instrument_id in PAIRED:
                    both[instrument_id] = (first, latest, key, in_range)
                if not in_range:
                    continue
                eligible = at_caseness_at_start(by_id[instrument_id], first, latest)
                for level in with_quarters(key, all_units, quarters):
                    change[(level, instrument_id)].pairs[(first, latest)] += 1
                    found = (level, instrument_id)
                    seen[found] = seen.get(found, False) or eligible
            if paired_instruments is None or len(both) < 2:
                continue
            depression_half, anxiety_half = (both[i] for i in PAIRED)
            d_first, d_latest, d_key, d_in_range = depression_half
            a_first, a_latest, a_key, a_in_range = anxiety_half
            if not (d_in_range or a_in_range):
                continue
            depression, anxiety = paired_instruments
            outcome = assess_paired(depression, anxiety, (d_first, d_latest), (a_first, a_latest))
            later = max(d_key, a_key, key=lambda key: key[2])
            for level in with_quarters(later, all_units, quarters):
                acc = paired[level]
                paired_seen[level] = paired_seen.get(level, False) or outcome.at_caseness
                if outcome.at_caseness:
                    acc.recovered += outcome.recovered
                    acc.reliably_recovered += outcome.reliably_recovered
                acc.improved += outcome.reliable_improvement
                acc.deteriorated += outcome.reliable_deterioration
        for found, eligible in seen.items():
            change[found].patients += 1
            change[found].eligible += eligible
        for level, eligible in paired_seen.items():
            paired[level].patients += 1
            paired[level].eligible += eligible
    return dict(change), dict(paired)


def assemble(
    *,
    invitations: Iterable[Any],
    change: Mapping[tuple[Key, str], OutcomeTally],
    paired: Mapping[Key, PairedTally],
    alliance: Iterable[Any],
    signals: Mapping[Key, SignalFigures],
    comments: Sequence[tuple[int, int | None, str, int]],
    units: Mapping[int, tuple[str, str]],
    programmes: Mapping[int, tuple[str, str]],
    outcome_instruments: Sequence[Instrument],
    alliance_ids: Sequence[str],
    all_units: bool = True,
    by_month: bool = False,
    comments_held_back: AbstractSet[tuple[int, str]] = frozenset(),
) -> list[AggregateRow]:
    """The rows of the export, suppressed. ``comments_held_back`` holds (unit, quarter) whose
    comment texts the comments page holds back: their counts are hidden in every row of the
    unit in the quarter and its months."""
    keys: set[Key] = set()
    invited: dict[Key, int] = {}
    paused: dict[Key, int] = {}
    # sent, answered, expired, declined, then one count per non-response reason
    figures: dict[Key, tuple[int, ...]] = {}
    for unit, programme, period, level, patients, paused_patients, *counts in invitations:
        key = level_key(unit, programme, period, level)
        keys.add(key)
        invited[key], paused[key] = patients, paused_patients
        figures[key] = tuple(int(count) for count in counts)

    keys.update(key for key, _instrument in change)

    alliance_by: dict[tuple[Key, str], tuple[float, int]] = {}
    for unit, programme, period, level, instrument_id, patients, total, responses in alliance:
        key = level_key(unit, programme, period, level)
        keys.add(key)
        alliance_by[(key, instrument_id)] = (float(total) / int(responses), patients)

    keys.update(signals)

    comment_count: dict[Key, int] = defaultdict(int)
    for unit, programme, period, count in comments:
        for key in with_quarters((unit, programme, period), all_units, by_month):
            keys.add(key)
            comment_count[key] += count

    if by_month:
        # A row in every month of a quarter the row has any month in: a month without a row
        # reads as zero, where a row of hidden cells reads as "fewer than 5" (docs/export.md,
        # "Empty and hidden").
        keys.update(whole_quarters(keys))

    nothing = (0,) * (4 + len(NON_RESPONSE_REASONS))
    rows: dict[Key, AggregateRow] = {}
    for key in keys:
        unit, programme, period = key
        patients = invited.get(key, 0)
        sent, answered, expired, declined, *reasons = figures.get(key, nothing)
        outcome_row = tuple(
            outcome_cells(instrument, change.get((key, instrument.id)))
            for instrument in outcome_instruments
        )
        alliance_cells = tuple(
            (instrument_id, alliance_cell(alliance_by.get((key, instrument_id))))
            for instrument_id in alliance_ids
        )
        unit_code, unit_name = units[unit] if unit != ALL else (ALL_CODE, "")
        if programme == ALL:
            programme_code, programme_name = ALL_CODE, ""
        elif programme is None:
            programme_code, programme_name = NO_PROGRAMME, ""
        else:
            programme_code, programme_name = programmes[programme]
        rows[key] = AggregateRow(
            invitations_expired=cell(expired, patients),
            invitations_declined=cell(declined, patients),
            non_response=tuple(
                (name, cell(count, patients))
                for name, count in zip(NON_RESPONSE_REASONS, reasons, strict=True)
            ),
            paired=paired_cells(paired.get(key)),
            signals=signal_cells(signals.get(key)),
            consent_paused_or_stopped_share=cell(
                round(paused.get(key, 0) / patients, 3) if patients else None,
                patients,
            ),
            unit_code=unit_code,
            unit_name=unit_name,
            programme_code=programme_code,
            programme_name=programme_name,
            period=period,
            patients_invited=cell(patients, patients),
            invitations_sent=cell(sent, patients),
            invitations_answered=cell(answered, patients),
            response_rate=cell(round(answered / sent, 3) if sent else None, patients),
            outcomes=outcome_row,
            alliance_mean=alliance_cells,
            median_hours_to_acknowledge_risk=risk_acknowledge_cell(signals.get(key)),
            # A count of comments is a small cell like a count of patients.
            service_comments=cell(comment_count.get(key, 0), comment_count.get(key, 0)),
        )
    suppress_across_rows_and_totals(
        rows,
        invited,
        {found: tally.patients for found, tally in change.items()},
        outcome_instruments,
        comment_count,
        {key: tally.patients for key, tally in paired.items()},
        {found: patients for found, (_mean, patients) in alliance_by.items()},
        {key: figures.patients for key, figures in signals.items()},
        by_month,
        {key: figures.risk_patients for key, figures in signals.items()},
        {
            key
            for key in rows
            if (key[0], key[2] if "Q" in key[2] else quarter_of(key[2])) in comments_held_back
        },
        outcome_counts={
            (key, instrument.id): counts_inside(instrument, tally)
            for instrument in outcome_instruments
            for (key, instrument_id), tally in change.items()
            if instrument_id == instrument.id
        },
        paired_counts={
            key: {
                "at_caseness": tally.eligible,
                "reliable_improvement": tally.improved,
                "reliable_deterioration": tally.deteriorated,
            }
            for key, tally in paired.items()
        },
    )
    return sorted(rows.values(), key=row_order)


def row_order(row: AggregateRow) -> tuple[bool, str, bool, str, str]:
    """Units in code order, each unit's programmes before its total, the all-units total last."""
    return (
        row.unit_code == ALL_CODE,
        row.unit_code,
        row.programme_code == ALL_CODE,
        row.programme_code,
        row.period,
    )


def alliance_cell(found: tuple[float, int] | None) -> Cell:
    if found is None:
        return HIDDEN
    mean, patients = found
    return cell(round(mean, 2), patients)
